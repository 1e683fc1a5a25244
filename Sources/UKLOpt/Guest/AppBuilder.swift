internal import CLLVMBridge
import Foundation

/// Turns `--app NAME|APP.c|APP.bc` into one application bitcode module, the
/// very same at every level: a bundled app (apps/NAME/*.c) or a C file is
/// compiled and linked by `ukl-opt cc` (musl and the runtime included); a
/// bundled workload (apps/NAME/workload.json) is built by its script; a
/// bitcode file must already be such a link.
public enum AppBuilder {
    /// The name to report for `spec`.
    public static func name(of spec: String) -> String {
        [".bc", ".ll", ".c"].contains(where: spec.hasSuffix)
            ? URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent : spec
    }

    /// The application bitcode for `spec`, written into `work` unless it is a bitcode file.
    public static func bitcode(
        _ spec: String, in work: URL, progress: @escaping (String) -> Void = { _ in }
    ) throws
        -> String
    {
        if spec.hasSuffix(".bc") || spec.hasSuffix(".ll") {
            let module = try Module.load(spec)
            guard let start = module.function(named: "ukl_start"), !start.isDeclaration else {
                throw UKLError.input(
                    file: spec,
                    reason: "not an application linked by 'ukl-opt cc' (no ukl_start); "
                        + "link it with 'ukl-opt cc FILES... -o APP.bc'")
            }
            return spec
        }
        if let workload = try Workload.named(spec) {
            return try workload.built(progress: progress).app
        }
        var sources: [String]
        if spec.hasSuffix(".c") {
            sources = [spec]
        } else {
            let directory = try DataDirectory.file("apps/\(spec)")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            sources = files.filter { $0.hasSuffix(".c") }.sorted().map { directory.appendingPathComponent($0).path }
            if sources.isEmpty {
                let known =
                    (try? FileManager.default.contentsOfDirectory(atPath: DataDirectory.file("apps").path)) ?? []
                throw UKLError.input(
                    file: spec,
                    reason:
                        "no such bundled app (have: \(known.filter { $0 != "runtime" }.sorted().joined(separator: ", ")))"
                )
            }
        }
        let output = work.appendingPathComponent("app.bc").path
        let status = try CompilerDriver(arguments: sources + ["-o", output]).run(progress: progress)
        if status != 0 {
            throw UKLError.input(file: sources[0], reason: "does not compile (\(Toolchain.clang)'s messages above)")
        }
        return output
    }
}
