import Foundation

/// A bundled application built from a source package by a script rather
/// than from apps/NAME/*.c: what apps/NAME/workload.json says, as data.
/// Redis is one: Debian's source built with `ukl-opt cc`, its server the
/// application, its benchmark and client ring-3 programs in the image.
public struct Workload: Decodable, Sendable {
    public let about: String
    /// The script that builds it, run with this ukl-opt binary's path; its
    /// last line on stdout is the directory it built into.
    public let build: String
    /// The application: a file in that directory.
    public let app: String
    /// What the image gives the application when `run` gives no arguments
    /// (init reads them from /etc/app-arguments).
    public let arguments: [String]
    /// Ring-3 programs from the build directory, linked static, by their path in the image.
    public let programs: [String: String]
    /// Files of this repository put in the image, by their path there.
    public let files: [String: String]
    /// The sidecars `compare` starts beside the application: what loads it and measures.
    public let compareSidecars: [String]

    enum CodingKeys: String, CodingKey {
        case about, build, app, arguments, programs, files
        case compareSidecars = "compare_sidecars"
    }

    /// The workload named `spec`, or nil when `spec` is not one.
    public static func named(_ spec: String) throws -> Workload? {
        guard !spec.contains("/"), !spec.contains(".") else { return nil }
        let file = try DataDirectory.file("apps/\(spec)/workload.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try JSONDecoder().decode(Workload.self, from: try Data(contentsOf: file))
        } catch {
            throw UKLError.input(file: file.path, reason: "not a workload description: \(error)")
        }
    }

    /// What the build produced: the directory holding `app` and `programs`.
    public struct Built: Sendable {
        public let directory: URL
        public var app: String { directory.appendingPathComponent(workload.app).path }
        public let workload: Workload

        /// The programs for the image (still bitcode), by their path there.
        public func programs() -> [(path: String, file: String)] {
            workload.programs.sorted { $0.key < $1.key }.map {
                (path: $0.key, file: directory.appendingPathComponent($0.value).path)
            }
        }

        /// The repository files for the image, by their path there.
        public func files() throws -> [(path: String, file: String)] {
            try workload.files.sorted { $0.key < $1.key }.map {
                (path: $0.key, file: try DataDirectory.file($0.value).path)
            }
        }
    }

    /// Builds it (the script caches its output) with this ukl-opt as the compiler.
    public func built(progress: @escaping (String) -> Void = { _ in }) throws -> Built {
        Built(directory: try BuildScript.run(build, [try Self.executable()], progress: progress), workload: self)
    }

    /// The ukl-opt executable a workload's build uses as CC: this process,
    /// unless UKL_OPT_EXECUTABLE names another (the tests run in a test runner).
    static func executable() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["UKL_OPT_EXECUTABLE"] { return explicit }
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard own.lastPathComponent == "ukl-opt" else {
            throw UKLError.tool("building a workload needs the ukl-opt executable; set UKL_OPT_EXECUTABLE")
        }
        return own.path
    }
}
