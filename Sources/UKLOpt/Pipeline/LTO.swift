internal import CLLVMBridge
import Foundation

/// Whole-program LTO over application and kernel bitcode, producing the
/// vmlinux.o the kernel's own `ld -r` step would, with the application inside.
public struct LTO {
    public struct Options {
        public var kernel: String
        public var apps: [String]
        public var output: String
        /// A new-pass-manager pipeline, e.g. `lto<O2>`.
        public var pipeline: String
        public var progress: (String) -> Void
        /// Each of LLVM's warnings, as soon as the step that raised it ends:
        /// a run that fails later has shown them already.
        public var warning: (String) -> Void
        /// Instrument the combined module, or optimize it with a profile.
        public var pgo: PGOMode?

        public init(
            kernel: String, apps: [String], output: String, pipeline: String,
            progress: @escaping (String) -> Void = { _ in },
            warning: @escaping (String) -> Void = Warnings.standardError, pgo: PGOMode? = nil
        ) {
            self.pgo = pgo
            self.kernel = kernel
            self.apps = apps
            self.output = output
            self.pipeline = pipeline
            self.progress = progress
            self.warning = warning
        }
    }

    public struct Report: Codable, Sendable {
        public var kernelModules: Int
        public var libraryModules: Int
        public var objectFiles: Int
        public var appModules: Int
        public var pipeline: String
        /// Calls from application code to kernel functions, before and after optimization.
        public var appToKernelCalls: Int
        public var appToKernelCallsAfter: Int
        /// App-to-kernel calls LTO inlined: per kernel callee, the application's
        /// calls before optimization minus the calls left to it after. (The
        /// totals above also count calls that inlined kernel code brings along.)
        public var inlined: Int
        /// Kernel functions the application called before and no longer calls.
        public var inlinedCallees: [String]
        public var seconds: [String: Double]
        /// What LLVM warned about while linking, optimizing and generating code.
        public var warnings: [String]
        /// What PGO did, when it ran.
        public var pgo: PGOReport?
        /// Where an instrumented module's counters are (in its own file, pgo-layout.json).
        public var layout: ProfileLayout? = nil

        enum CodingKeys: String, CodingKey {
            case pipeline, inlined, seconds, warnings, pgo
            case kernelModules = "kernel_modules"
            case libraryModules = "library_modules"
            case objectFiles = "object_files"
            case appModules = "app_modules"
            case appToKernelCalls = "app_to_kernel_calls"
            case appToKernelCallsAfter = "app_to_kernel_calls_after"
            case inlinedCallees = "inlined_callees"
        }
    }

    /// The pipeline in `passes/NAME.pipeline` (comment lines start with #).
    public static func pipeline(named name: String) throws -> String {
        let url = try DataDirectory.file("passes/\(name).pipeline")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw UKLError.input(file: url.path, reason: "no such pipeline")
        }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Reads the applications `options.apps` names, links them, and runs.
    public static func run(_ options: Options) throws -> Report {
        let context = Context()
        // As ld.lld's LTO does: local value names cost time and memory, and
        // nothing downstream reads them.
        LLVMContextSetDiscardValueNames(context.ref, 1)
        guard !options.apps.isEmpty else { return try run(options, app: nil, context: context) }
        return try run(options, app: try loadApps(options.apps, context: context), context: context)
    }

    /// Runs with `app`, an application already in memory (`options.apps`
    /// names where it came from): what ImageBuilder rewrote is passed on as
    /// it is, not written out and read back.
    static func run(_ options: Options, app: consuming Module) throws -> Report {
        let context = app.context
        LLVMContextSetDiscardValueNames(context.ref, 1)
        return try run(options, app: Optional(app), context: context)
    }

    private static func run(_ options: Options, app: consuming Module?, context: Context) throws -> Report {
        _ = Targets.x86
        var clock = Clock()
        let contract = try Contract.load()
        var warnings: [String] = []
        func passOnWarnings() {
            for warning in context.takeWarnings() {
                warnings.append(warning)
                options.warning(warning)
            }
        }
        defer { passOnWarnings() }

        // Applications first: a bad one is reported before any kernel work.
        var prepared: Module?
        var appCalls: [String: Int] = [:]
        var appSymbols: (name: String, symbols: ObjectSymbols)?
        if let app = consume app {
            let name = options.apps.first ?? app.origin
            let ready = try prepare(app, named: name, contract: contract)
            appCalls = kernelCalls(in: ready, contract: contract)
            appSymbols = (ready.origin, try ObjectSymbols(ready.bitcode, name: ready.origin))
            prepared = consume ready
        }
        let hasApp = appSymbols != nil
        clock.lap("apps")

        let tree = try KernelTree(options.kernel)
        options.progress(
            "reading \(tree.wholeArchives.joined(separator: " ")) and \(tree.libraries.joined(separator: " "))")
        let inputs = try KernelInputs(tree: tree, app: appSymbols)
        clock.lap("read")

        options.progress("linking \(inputs.bitcode.count) bitcode modules\(hasApp ? " and the application" : "")")
        let combined = try link(inputs.bitcode, app: prepared, context: context)
        if hasApp {
            exposeLibcalls(in: combined, kernelObjectSymbols: inputs.objectSymbols, contract: contract)
            try requireContractSymbols(
                in: combined, kernelObjectSymbols: inputs.objectSymbols, contract: contract, kernel: options.kernel)
        }
        clock.lap("link")
        passOnWarnings()

        let machine = try TargetMachine(triple: combined.triple)
        var layout: ProfileLayout?
        var pgo: PGOReport?
        switch options.pgo {
        case .instrument:
            options.progress("instrumenting for PGO (pgo-instr-gen, lowered into two arrays)")
            let instrumented = try Instrumentation.instrument(
                combined, machine: machine, start: contract.appEntrySymbol)
            layout = instrumented
            pgo = PGOReport(instrumented: instrumented)
            clock.lap("instrument")
        case .use(let profile, let allowStale):
            options.progress("annotating with the profile \(profile)")
            pgo = try ProfileUse.apply(profile, to: combined, machine: machine, allowStale: allowStale)
            clock.lap("profile")
            passOnWarnings()
        case nil: break
        }
        options.progress("optimizing: \(options.pipeline)")
        let passOptions = LLVMCreatePassBuilderOptions()!
        defer { LLVMDisposePassBuilderOptions(passOptions) }
        // With a profile, the indirect calls it promotes to direct ones are reported.
        let optimized =
            pgo?.mode == "use"
            ? ProfileUse.runReportingPromotions(
                combined, pipeline: options.pipeline, machine: machine, options: passOptions,
                isApplication: { $0 == contract.appEntrySymbol || $0.hasPrefix(contract.appPrefix) })
            : (LLVMRunPasses(combined.handle, options.pipeline, machine.ref, passOptions), [])
        if let error = optimized.0 {
            throw UKLError.input(file: "passes", reason: "pipeline '\(options.pipeline)': \(takeError(error))")
        }
        pgo?.promoted = optimized.1
        clock.lap("optimize")
        passOnWarnings()
        let after = kernelCalls(in: combined, contract: contract)

        let work = try Scratch.directory("lto")
        defer { try? FileManager.default.removeItem(at: work) }
        let object = work.appendingPathComponent("lto.o").path
        options.progress("generating code")
        try machine.emit(combined, to: object)
        clock.lap("codegen")
        passOnWarnings()
        if hasApp {
            // The application's final code, as it goes into the image.
            try refuseUserEntries(inObject: object, named: options.apps[0], contract: contract)
        }

        options.progress("ld -r and objtool, as the kernel's vmlinux.o rule")
        let responseFile = work.appendingPathComponent("inputs").path
        var lines: [String] = []
        for (index, member) in inputs.objects.enumerated() {
            if let file = member.file {
                lines.append(tree.path(file))
            } else {  // a member of a regular archive: ld needs it as a file
                let extracted = work.appendingPathComponent("\(index)-\((member.name as NSString).lastPathComponent)")
                    .path
                try member.contents.write(to: URL(fileURLWithPath: extracted))
                lines.append(extracted)
            }
        }
        lines.append(object)
        try lines.joined(separator: "\n").write(toFile: responseFile, atomically: true, encoding: .utf8)
        try writeAtomically(to: options.output) { temporary in
            let absolute = URL(fileURLWithPath: temporary).standardizedFileURL.path
            try Shell.run(tree.command(inputs: responseFile, output: absolute), in: tree.root.path)
        }
        clock.lap("ld")

        let before = appCalls.values.reduce(0, +)
        let remaining = after.values.reduce(0, +)
        passOnWarnings()
        return Report(
            kernelModules: inputs.kernelModules, libraryModules: inputs.libraryModules,
            objectFiles: inputs.objects.count, appModules: options.apps.count, pipeline: options.pipeline,
            appToKernelCalls: before, appToKernelCallsAfter: remaining,
            inlined: appCalls.reduce(0) { $0 + max(0, $1.value - (after[$1.key] ?? 0)) },
            inlinedCallees: appCalls.keys.filter { after[$0] == nil }.sorted(),
            seconds: clock.laps, warnings: warnings, pgo: pgo, layout: layout)
    }

    /// Refuses a kernel that lacks a symbol the rewritten application calls
    /// (one built without the UKL patches, or with an older series), naming
    /// the symbol and the level that needs it, before minutes of optimizing.
    static func requireContractSymbols(
        in combined: borrowing Module, kernelObjectSymbols: Set<String>, contract: Contract, kernel: String
    ) throws {
        let missing = combined.functions.filter(\.isDeclaration).map(\.name).filter {
            contract.level(calling: $0) != nil && !kernelObjectSymbols.contains($0)
        }.sorted()
        guard let first = missing.first, let level = contract.level(calling: first) else { return }
        throw UKLError.input(
            file: kernel,
            reason: "the kernel defines no '\(first)', which level \(level.rawValue) calls"
                + (missing.count > 1 ? " (and \(missing.count - 1) more)" : "")
                + ": not built with the UKL patches (scripts/kernel-build.sh builds one)")
    }

    /// Reads the applications and links them into one module.
    static func loadApps(_ paths: [String], context: Context) throws -> Module {
        var linker = Linker(try Module.load(paths[0], context: context))
        for path in paths.dropFirst() {
            try linker.link(try Module.load(path, context: context))
        }
        return linker.finish()
    }

    /// The applications `paths`, linked and prepared.
    static func prepareApps(_ paths: [String], context: Context, contract: Contract) throws -> Module {
        try prepare(try loadApps(paths, context: context), named: paths[0], contract: contract)
    }

    /// Checks the application's ABI, and hides its symbols from the kernel's
    /// namespace: the entry point gets the contract's name, everything else
    /// becomes internal with the app prefix.
    static func prepare(_ app: consuming Module, named first: String, contract: Contract) throws -> Module {
        try app.verify(asInput: true)
        try AppABI.check(app)
        let finder = SiteFinder(table: try SyscallTable.load(), wrappers: contract.wrappers)
        let sites = finder.sites(in: app)
        if !sites.isEmpty {
            throw UKLError.input(
                file: first,
                reason: "\(sites.count) syscall site(s) left (first in '\(sites[0].site.function)'); "
                    + "a syscall instruction in ring 0 corrupts GS: run 'ukl-opt apply --level LEVEL' first")
        }
        try refuseUserEntries(in: app, named: first)
        var defined: Function?
        for name in contract.appEntries where defined == nil {
            if let function = app.function(named: name), !function.isDeclaration { defined = function }
        }
        guard let entry = defined else {
            throw UKLError.input(
                file: first, reason: "no '\(contract.appEntries.last!)' function: the kernel has nothing to start")
        }
        matchKernelNullPointerSemantics(app)
        for global in app.globalValues where !global.isDeclaration {
            let name = global.name
            if name.hasPrefix("llvm.") || name.isEmpty { continue }
            if global == entry.asGlobal {
                global.rename(contract.appEntrySymbol)
                continue
            }
            // A libcall stays linkable (the module linker drops unreferenced
            // internals) until exposeLibcalls decides whose definition serves.
            let libcall = AppABI.libcalls.contains(name) && global.isFunction
            global.setLinkage(
                libcall ? LLVMExternalLinkage : LLVMInternalLinkage,
                visibility: libcall ? LLVMHiddenVisibility : LLVMDefaultVisibility)
            global.rename(contract.appPrefix + name)
        }
        AppABI.reconcileFlags(app)
        try app.verify()
        return app
    }

    /// Refuses an application whose machine code still enters the kernel from
    /// user mode, whatever its IR looks like (module asm, `.byte`, labels).
    static func refuseUserEntries(in app: borrowing Module, named name: String) throws {
        let work = try Scratch.directory("scan")
        defer { try? FileManager.default.removeItem(at: work) }
        let object = work.appendingPathComponent("app.o").path
        // Code generation changes the IR it runs on: emit a copy.
        try TargetMachine(triple: app.triple).emit(app.clone(), to: object)
        try refuseUserEntries(inObject: object, named: name, contract: nil)
    }

    /// With a contract, only the application's part of the object is read.
    static func refuseUserEntries(inObject object: String, named name: String, contract: Contract?) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: object))
        let findings = try CodeScan.userEntries(inObject: data, name: object) { symbol in
            guard let contract else { return true }
            return symbol == contract.appEntrySymbol || symbol.hasPrefix(contract.appPrefix)
        }
        if let first = findings.first {
            throw UKLError.input(
                file: name,
                reason: "its machine code enters the kernel from user mode: \(first)"
                    + (findings.count > 1 ? " and \(findings.count - 1) more" : "")
                    + "; in ring 0 that corrupts GS (write the syscall as inline asm 'syscall' so apply can rewrite it)"
            )
        }
    }

    /// Code generation calls some functions by name (memcpy, floor, ...). The
    /// kernel's definition serves where it has one; the kernel's own code may
    /// not run the application's (memset before the FPU is up, say). Where
    /// the kernel neither defines nor references the name, the application's
    /// own, hidden as ukl_app.NAME, gets its name back.
    static func exposeLibcalls(
        in combined: borrowing Module, kernelObjectSymbols: Set<String>, contract: Contract
    ) {
        for name in AppABI.libcalls {
            guard let own = combined.function(named: contract.appPrefix + name), !own.isDeclaration else { continue }
            if kernelObjectSymbols.contains(name) || combined.function(named: name) != nil
                || combined.hasVariable(named: name)
            {
                own.asGlobal.setLinkage(LLVMInternalLinkage, visibility: LLVMDefaultVisibility)
                continue
            }
            own.asGlobal.rename(name)
        }
    }

    /// The kernel builds with -fno-delete-null-pointer-checks, and the inliner
    /// only inlines between functions that agree on it. Giving the application's
    /// functions the same attribute is always sound (it only forbids assuming
    /// that address 0 is never accessed) and lets kernel code inline into them.
    static func matchKernelNullPointerSemantics(_ app: borrowing Module) {
        for function in app.functions where !function.isDeclaration {
            app.context.addFunctionAttribute(function, "null_pointer_is_valid")
        }
    }

    /// Calls from the application's functions to functions outside it, by callee.
    static func kernelCalls(in module: borrowing Module, contract: Contract) -> [String: Int] {
        var calls: [String: Int] = [:]
        for function in module.functions where !function.isDeclaration {
            let name = function.name
            guard name == contract.appEntrySymbol || name.hasPrefix(contract.appPrefix) else { continue }
            for instruction in function.instructions {
                guard let callee = Function(instruction.calledValue), !callee.isIntrinsic else { continue }
                let calleeName = callee.name
                if calleeName == contract.appEntrySymbol || calleeName.hasPrefix(contract.appPrefix)
                    || calleeName.hasPrefix("ukl.")
                {
                    continue
                }
                calls[calleeName, default: 0] += 1
            }
        }
        return calls
    }

    /// Links every bitcode module (lazily loaded) and the application into one.
    static func link(_ bitcode: [ArchiveMember], app: consuming Module?, context: Context) throws -> Module {
        guard let first = bitcode.first else {
            throw UKLError.input(
                file: "vmlinux.a", reason: "no bitcode members: was the kernel built with CONFIG_LTO_CLANG_FULL?")
        }
        let kernel = try Module.load(first.contents, name: first.name, context: context)
        let kernelTriple = kernel.triple
        var linker = Linker(kernel)
        for member in bitcode.dropFirst() {
            try linker.link(try Module.load(member.contents, name: member.name, context: context, lazily: true))
        }
        if let app = consume app {
            if sameTarget(app.triple, kernelTriple) { app.setTriple(kernelTriple) }
            try linker.link(app)
        }
        return linker.finish()
    }

    /// Whether two triples name one target and differ at most in the vendor:
    /// clang's default names one (x86_64-pc-linux-gnu), the kernel's build
    /// none (x86_64-unknown-linux-gnu), and the module linker would warn.
    static func sameTarget(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "-", omittingEmptySubsequences: false)
        let y = b.split(separator: "-", omittingEmptySubsequences: false)
        guard x.count == 4, y.count == 4 else { return a == b }
        return x[0] == y[0] && x[2] == y[2] && x[3] == y[3]
    }
}

/// What goes into vmlinux.o: bitcode for LTO, ELF objects for ld.
struct KernelInputs {
    var bitcode: [ArchiveMember] = []
    /// ELF members, in link order.
    var objects: [ArchiveMember] = []
    var kernelModules = 0
    var libraryModules = 0
    /// What the kernel's ELF objects (assembly, mostly) define.
    var objectSymbols: Set<String> = []

    /// `app`: the application's name and symbols, when there is one.
    init(tree: KernelTree, app: (name: String, symbols: ObjectSymbols)?) throws {
        let wholeMembers = try Self.members(of: tree.wholeArchives, in: tree)
        var whole = wholeMembers.map { (name: $0.member.name, symbols: $0.symbols) }
        if let app { whole.append(app) }
        let libraryMembers = try Self.members(of: tree.libraries, in: tree)
        let library = libraryMembers.map { (name: $0.member.name, symbols: $0.symbols) }
        // Library bitcode that the link needs joins the LTO; library ELF members
        // are left to ld, which still gets the libraries as the kernel's rule has them.
        let pulled = selectMembers(whole: whole, libraries: library).map { libraryMembers[$0].member }
            .filter(\.contents.isBitcode)
        for member in wholeMembers.map(\.member) + pulled {
            if member.contents.isBitcode {
                bitcode.append(member)
            } else {
                objects.append(member)
            }
        }
        for (member, symbols) in wholeMembers + libraryMembers where !member.contents.isBitcode {
            objectSymbols.formUnion(symbols.defined)
        }
        libraryModules = pulled.count
        kernelModules = bitcode.count - libraryModules
    }

    private static func members(
        of archives: [String], in tree: KernelTree
    ) throws
        -> [(member: ArchiveMember, symbols: ObjectSymbols)]
    {
        try archives.flatMap { archive in
            try Archive.members(of: tree.path(archive)).map { member in
                (member, try ObjectSymbols(member.contents, name: member.name))
            }
        }
    }
}

/// Wall-clock laps for the report.
struct Clock {
    private var last = Date()
    private(set) var laps: [String: Double] = [:]

    mutating func lap(_ name: String) {
        let now = Date()
        laps[name] = (now.timeIntervalSince(last) * 10).rounded() / 10
        last = now
    }
}
