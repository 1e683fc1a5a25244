internal import CLLVMBridge
import Foundation

/// The link step of `ukl-opt cc`: the application's bitcode objects and
/// archives, the runtime (apps/runtime/*.c) and the musl members they
/// need, with archive semantics, joined into one module; then, as a linker's
/// LTO does, every symbol but the entry points is made internal and the
/// whole program optimized, so libc's syscall wrappers fold into their callers
/// with constant numbers. The result runs at every level: it is the static
/// program at `linux` and what `apply` rewrites at the UKL levels.
public struct AppLinker {
    public let musl: Musl
    /// clang-19 options for compiling the runtime.
    public let compileOptions: [String]

    /// Entry points that stay visible: the kernel's (UKL levels) and the ELF one (linux).
    static let entryPoints: Set<String> = ["ukl_start", "_start"]

    /// Where a syscall site came from, recorded on the site's call as
    /// `!ukl.origin` metadata before the modules are joined.
    public enum Origin: String, Codable, Sendable, CaseIterable {
        case app, runtime, libc
        /// musl's assembly, as our C equivalents (libc/x86_64).
        case libcAsm = "libc-asm"
    }

    static let originKind = "ukl.origin"

    public init(musl: Musl, compileOptions: [String]) {
        self.musl = musl
        self.compileOptions = compileOptions
    }

    /// Links `inputs` (bitcode objects, text IR, ar archives of bitcode) and
    /// writes `output`. Returns what LLVM warned about, for the caller to
    /// show as a linker would.
    public func link(_ inputs: [String], output: String) throws -> [String] {
        let module = try linkModule(inputs)
        try module.write(to: output)
        return module.context.takeWarnings()
    }

    func linkModule(_ inputs: [String]) throws -> Module {
        let context = Context()
        var objects: [(data: Data, name: String)] = []
        var members: [(member: ArchiveMember, symbols: ObjectSymbols, origin: Origin)] = []

        for input in inputs {
            let data = try readInput(input)
            if Archive.isArchive(data) {
                for member in try Archive.members(in: data, path: input) {
                    guard member.contents.isBitcode else {
                        throw UKLError.input(
                            file: "\(input)(\(member.name))",
                            reason: "not LLVM bitcode: compile it with 'ukl-opt cc -c'")
                    }
                    members.append((member, try ObjectSymbols(member.contents, name: "\(input)(\(member.name))"), .app))
                }
                continue
            }
            if IRFormat(data) == .other {
                throw UKLError.input(file: input, reason: "not LLVM bitcode: compile it with 'ukl-opt cc -c'")
            }
            objects.append((data, input))
        }
        guard let first = objects.first else {
            throw UKLError.input(file: inputs.first ?? "ukl-opt cc", reason: "no object files to link")
        }

        // Every object is linked whole, in command-line order, then the
        // runtime: what each defines and references decides which archive
        // members join, and so does what code generation will call by name:
        // an llvm.floor.f64 in the IR is a call of floor() once compiled,
        // though no symbol table lists it (ld.lld's LTO pulls such members too).
        var symbols: [ObjectSymbols] = []
        var needed = Set<String>()
        func loadObject(_ data: Data, name: String, origin: Origin) throws -> Module {
            let module = try Module.load(data, name: name, context: context)
            tagSites(module, origin: origin)
            // Bitcode has its symbol table already; text IR is written out once for one.
            symbols.append(try ObjectSymbols(IRFormat(data) == .bitcode ? data : module.bitcode, name: name))
            needed.formUnion(libcallsNeeded(by: module))
            return module
        }
        var linker = Linker(try loadObject(first.data, name: first.name, origin: .app))
        for object in objects.dropFirst() {
            try linker.link(try loadObject(object.data, name: object.name, origin: .app))
        }
        let work = try Scratch.directory("cc-link")
        defer { try? FileManager.default.removeItem(at: work) }
        for runtime in try compileRuntime(in: work) {
            let data = try Data(contentsOf: URL(fileURLWithPath: runtime))
            try linker.link(try loadObject(data, name: runtime, origin: .runtime))
        }

        for member in try Archive.members(of: musl.archive) {
            members.append((member, try ObjectSymbols(member.contents, name: "libc.a(\(member.name))"), .libc))
        }
        // Archive semantics, to a fixed point: a chosen member's libcalls may
        // choose more. A member's declarations are read without its bodies.
        let scanContext = Context()
        var chosen = Set<Int>()
        while true {
            let roots = symbols.map { ("", $0) } + [("", ObjectSymbols(references: needed))]
            let more = selectMembers(whole: roots, libraries: members.map { ($0.member.name, $0.symbols) })
                .filter { !chosen.contains($0) }
            if more.isEmpty { break }
            for index in more {
                chosen.insert(index)
                let member = members[index].member
                let declarations = try Module.load(
                    member.contents, name: member.name, context: scanContext, lazily: true)
                needed.formUnion(libcallsNeeded(by: declarations))
            }
        }
        // Members in archive order, as a linker places them.
        for index in chosen.sorted() {
            let (member, _, origin) = members[index]
            let module = try Module.load(member.contents, name: member.name, context: context)
            var kind = origin
            if origin == .libc && musl.asmEquivalents.contains(module.sourceFileName) { kind = .libcAsm }
            tagSites(module, origin: kind)
            try linker.link(module)
        }

        let destination = linker.finish()
        try destination.verify(asInput: true)
        guard let main = destination.function(named: "main"), !main.isDeclaration else {
            throw UKLError.input(file: inputs[0], reason: "no 'main' function in the linked program")
        }
        try checkUndefined(destination, inputs: inputs)
        internalize(destination)
        try optimize(destination)
        return destination
    }

    /// The runtime's sources (apps/runtime/*.c), compiled to bitcode.
    private func compileRuntime(in work: URL) throws -> [String] {
        let directory = try DataDirectory.file("apps/runtime")
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".c") }
            .sorted()
        return try sources.map { name in
            let output = work.appendingPathComponent(name + ".bc").path
            try Shell.run(
                Toolchain.clang,
                compileOptions + ["-c", "-emit-llvm", directory.appendingPathComponent(name).path, "-o", output])
            return output
        }
    }

    /// Marks every inline-asm syscall of `module` with its origin.
    private func tagSites(_ module: borrowing Module, origin: Origin) {
        guard origin != .app else { return }
        let context = module.context.ref
        let kind = LLVMGetMDKindIDInContext(context, Self.originKind, UInt32(Self.originKind.utf8.count))
        var text = LLVMMDStringInContext2(context, origin.rawValue, origin.rawValue.utf8.count)
        let node = LLVMMetadataAsValue(context, LLVMMDNodeInContext2(context, &text, 1))
        for function in module.functions where !function.isDeclaration {
            for call in function.instructions {
                if let asm = call.inlineAsm, asmExecutesSyscall(asm.text) {
                    LLVMSetMetadata(call.ref, kind, node)
                }
            }
        }
    }

    /// The functions code generation will call for the intrinsics `module`
    /// uses: llvm.floor.f64 is floor, llvm.floor.f32 floorf, llvm.memcpy memcpy.
    private func libcallsNeeded(by module: borrowing Module) -> Set<String> {
        var names = Set<String>()
        for function in module.functions where function.isDeclaration && function.isIntrinsic {
            let parts = function.name.dropFirst("llvm.".count).split(separator: ".")
            guard let base = parts.first else { continue }
            let suffix = ["f32": "f", "f80": "l"][String(parts.last ?? "")] ?? ""
            if AppABI.libcalls.contains(base + suffix) { names.insert(base + suffix) }
        }
        return names
    }

    /// What a static link would report as undefined references. Labels that
    /// inline asm defines as global count as defined, as the assembler will.
    private func checkUndefined(_ module: borrowing Module, inputs: [String]) throws {
        var asmLabels = Set<String>()
        for function in module.functions where !function.isDeclaration {
            for call in function.instructions {
                if let asm = call.inlineAsm { asmLabels.formUnion(asmGlobalLabels(asm.text)) }
            }
        }
        let undefined = (module.functions.map(\.asGlobal) + module.variables).filter {
            $0.isDeclaration && !(Function($0.ref)?.isIntrinsic ?? false) && !$0.name.hasPrefix("llvm.")
                && LLVMGetLinkage($0.ref) != LLVMExternalWeakLinkage && LLVMGetFirstUse($0.ref) != nil
                && !asmLabels.contains($0.name)
        }.map(\.name)
        if !undefined.isEmpty {
            throw UKLError.input(
                file: inputs[0],
                reason: "undefined reference\(undefined.count == 1 ? "" : "s") to "
                    + undefined.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
                    + (undefined.count > 5 ? " and \(undefined.count - 5) more" : ""))
        }
    }

    /// Every definition but the entry points and the functions code generation
    /// may call by name (memcpy, floor, ...) becomes internal.
    private func internalize(_ module: borrowing Module) {
        for global in module.globalValues where !global.isDeclaration {
            let name = global.name
            if name.isEmpty || name.hasPrefix("llvm.") || Self.entryPoints.contains(name)
                || AppABI.libcalls.contains(name)
            {
                continue
            }
            global.setLinkage(LLVMInternalLinkage, visibility: LLVMDefaultVisibility)
        }
    }

    private func optimize(_ module: borrowing Module) throws {
        let machine = try TargetMachine(triple: module.triple)
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        if let error = LLVMRunPasses(module.handle, "lto<O2>", machine.ref, options) {
            throw UKLError.tool("optimizing the linked program: \(takeError(error))")
        }
        try module.verify()
    }
}
