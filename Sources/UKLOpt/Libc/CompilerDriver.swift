import Foundation

/// `ukl-opt cc`: a C compiler and linker driver a build system can use as CC.
/// Compiling (`-c`, `-S`) runs clang-19 with musl's headers and the kernel's
/// ABI options and writes bitcode; linking joins bitcode objects, archives and
/// musl into one application bitcode file (AppLinker). Preprocessing and
/// queries (`-E`, `-M`, `--version`) go to clang-19 with the same headers.
public struct CompilerDriver {
    public enum Mode: Equatable { case compile, preprocess, query, link }

    public let arguments: [String]
    public let mode: Mode
    /// Compile and link mode: what the command line names, in order.
    public private(set) var sources: [String] = []
    public private(set) var objects: [String] = []
    public private(set) var libraries: [String] = []
    public private(set) var searchPaths: [String] = []
    public private(set) var output: String?
    /// Options for compiling sources named on a link command line.
    public private(set) var compileOptions: [String] = []

    /// Options whose value is the next argument.
    static let optionsWithValue: Set<String> = [
        "-o", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-idirafter", "-iquote", "-x",
        "-MF", "-MT", "-MQ", "-L", "-l", "-Xclang", "-Xlinker", "-T", "-e", "-u", "-z", "-arch",
    ]
    static let sourceSuffixes = [".c", ".i"]
    static let assemblySuffixes = [".s", ".S", ".sx"]

    /// Parses a command line; an option the kernel ABI forbids is one input
    /// error naming it.
    public init(arguments: [String]) throws {
        let arguments = arguments.filter { !AppABI.droppedOptions.contains($0) }
        self.arguments = arguments
        for argument in arguments {
            if let why = AppABI.forbiddenOption(argument) {
                throw UKLError.input(file: argument, reason: "\(why); ukl-opt cc cannot build with it")
            }
        }
        let set = Set(arguments)
        if set.contains("-c") || set.contains("-S") {
            mode = .compile
        } else if set.contains("-E") || set.contains("-M") || set.contains("-MM") {
            mode = .preprocess
        } else if arguments.allSatisfy({ $0.hasPrefix("-") }) {
            mode = .query
        } else {
            mode = .link
        }
        guard mode == .link || mode == .compile else { return }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : nil
            let takesValue = Self.optionsWithValue.contains(argument)
            if takesValue && value == nil {
                throw UKLError.input(file: argument, reason: "missing value")
            }
            switch argument {
            case "-o": output = value
            case "-l": libraries.append(value!)
            case "-L": searchPaths.append(value!)
            case _ where argument.hasPrefix("-l"): libraries.append(String(argument.dropFirst(2)))
            case _ where argument.hasPrefix("-L"): searchPaths.append(String(argument.dropFirst(2)))
            case _ where argument.hasPrefix("-Wl,") || argument == "-Xlinker":
                break  // linker options: the link is ukl-opt's own
            case _ where !argument.hasPrefix("-") || argument == "-":
                if Self.sourceSuffixes.contains(where: argument.hasSuffix) {
                    sources.append(argument)
                } else if Self.assemblySuffixes.contains(where: argument.hasSuffix) {
                    throw UKLError.input(
                        file: argument,
                        reason:
                            "assembly cannot become bitcode, so apply could not rewrite its syscalls; write it as C with inline asm"
                    )
                } else {
                    objects.append(argument)  // objects and archives, told apart by their bytes
                }
            default:
                compileOptions.append(argument)
                if takesValue { compileOptions.append(value!) }
            }
            index += takesValue ? 2 : 1
        }
        if mode == .link && sources.isEmpty && objects.isEmpty {
            throw UKLError.input(file: "ukl-opt cc", reason: "no input files")
        }
    }

    /// What clang-19 is given besides the user's options: musl's headers (then
    /// clang's own, for intrinsics and stdatomic.h), and the kernel's ABI.
    static func clangOptions(musl: Musl) throws -> (before: [String], after: [String]) {
        let resource = try Shell.run(Toolchain.clang, ["-print-resource-dir"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return (["-O2", "-nostdinc", "-isystem", musl.include, "-isystem", resource + "/include"], AppABI.clangOptions)
    }

    /// Runs the command; returns the exit status (clang's, when it ran clang).
    public func run(progress: @escaping (String) -> Void = { _ in }) throws -> Int32 {
        let musl = try Musl.ensure(progress: progress)
        let (before, after) = try Self.clangOptions(musl: musl)
        switch mode {
        case .query where arguments == ["-print-sysroot"]:
            // Where the C library is (include/, lib/libc.a), as gcc prints its sysroot.
            print(musl.root.path)
            return 0
        case .query:
            return try Shell.passthrough(Toolchain.clang, arguments)
        case .preprocess:
            return try Shell.passthrough(Toolchain.clang, before + arguments + after)
        case .compile:
            let bitcode = arguments.contains("-emit-llvm") ? [] : ["-emit-llvm"]
            guard output == nil && arguments.contains("-c") && !sources.isEmpty else {
                return try Shell.passthrough(Toolchain.clang, before + arguments + after + bitcode)
            }
            // `cc -c x.c` writes x.o in the current directory, as every C
            // compiler does (clang would name bitcode x.bc): one clang per
            // source, each with its -o.
            let others = arguments.filter { !sources.contains($0) }
            for source in sources {
                let object = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent + ".o"
                let status = try Shell.passthrough(
                    Toolchain.clang, before + others + [source, "-o", object] + after + bitcode)
                if status != 0 { return status }
            }
            return 0
        case .link:
            let work = try Scratch.directory("cc")
            defer { try? FileManager.default.removeItem(at: work) }
            var inputs: [String] = []
            for (index, source) in sources.enumerated() {
                let object = work.appendingPathComponent("\(index)-\(URL(fileURLWithPath: source).lastPathComponent).o")
                    .path
                let status = try Shell.passthrough(
                    Toolchain.clang,
                    before + compileOptions + after
                        + ["-emit-llvm", "-c", source, "-o", object])
                if status != 0 { return status }
                inputs.append(object)
            }
            inputs += objects
            for library in libraries where !Musl.libraries.contains(library) {
                let name = "lib\(library).a"
                guard
                    let found = searchPaths.map({ URL(fileURLWithPath: $0).appendingPathComponent(name).path })
                        .first(where: { FileManager.default.fileExists(atPath: $0) })
                else {
                    throw UKLError.input(
                        file: "-l\(library)",
                        reason: "cannot find \(name) in the -L directories (\(searchPaths.joined(separator: ", ")))")
                }
                inputs.append(found)
            }
            let warnings = try AppLinker(musl: musl, compileOptions: before + after).link(
                inputs, output: output ?? "a.out")
            for warning in warnings { progress("warning: \(warning)") }
            return 0
        }
    }
}
