import Foundation

/// Working directories for one step (a build, a boot, an LTO link).
enum Scratch {
    /// A new, empty directory under the system's temporary directory, named
    /// after `purpose` and unique to this call. The caller removes it.
    static func directory(_ purpose: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ukl-opt-\(purpose)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
