import Foundation

/// Turns `--app NAME|APP.bc` into one bitcode module: the application plus
/// apps/runtime/start.c (the environment every level sets up before main),
/// compiled with clang-19 and the kernel's ABI flags, so that the very same
/// bitcode runs at every level.
public enum AppBuilder {
    /// clang-19 options for application bitcode.
    public static let clangOptions = ["-O2", "-ffreestanding", "-fno-builtin"] + AppABI.clangOptions

    /// The name to report for `spec`.
    public static func name(of spec: String) -> String {
        spec.hasSuffix(".bc") || spec.hasSuffix(".ll")
            ? URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent : spec
    }

    /// Bitcode for `spec` with the runtime linked in, written into `work`.
    public static func bitcode(_ spec: String, in work: URL) throws -> String {
        var inputs: [String]
        if spec.hasSuffix(".bc") || spec.hasSuffix(".ll") {
            inputs = [spec]
        } else {
            let directory = try DataDirectory.file("apps/\(spec)")
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path),
                  !files.filter({ $0.hasSuffix(".c") }).isEmpty
            else {
                let known = (try? FileManager.default.contentsOfDirectory(atPath: DataDirectory.file("apps").path)) ?? []
                throw UKLError.input(file: spec, reason: "no such bundled app (have: \(known.filter { $0 != "runtime" }.sorted().joined(separator: ", ")))")
            }
            inputs = try files.filter { $0.hasSuffix(".c") }.sorted().map {
                try compile(directory.appendingPathComponent($0).path, in: work)
            }
        }
        inputs.append(try compile(try DataDirectory.file("apps/runtime/start.c").path, in: work))
        let context = Context()
        let module = try Module.load(inputs[0], context: context)
        let linker = Linker(module)
        for input in inputs.dropFirst() {
            try linker.link(try Module.load(input, context: context))
        }
        let output = work.appendingPathComponent("app.bc").path
        try module.write(to: output)
        return output
    }

    /// One C file to bitcode with clang-19.
    public static func compile(_ source: String, in work: URL) throws -> String {
        let output = work.appendingPathComponent(URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent + ".bc").path
        do {
            try Shell.run("clang-19", clangOptions + ["-c", "-emit-llvm", source, "-o", output])
        } catch let UKLError.tool(message) {
            throw UKLError.input(file: source, reason: "does not compile: \(message.split(separator: "\n").dropFirst().first ?? "")")
        }
        return output
    }
}
