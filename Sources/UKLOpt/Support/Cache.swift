internal import CLLVMBridge
import Foundation

/// The build cache outside the repository: `${UKL_CACHE:-~/.cache/ukl-opt}`.
/// The build scripts (BuildScript) are given this root and keep their
/// entries under `kernel/`, `musl/` and `redis/` (scripts/cache.sh).
enum Cache {
    static var root: URL {
        if let custom = ProcessInfo.processInfo.environment["UKL_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ukl-opt")
    }

    /// A key over everything that goes into a cached result: the given
    /// strings, then each file's bytes, in order (sha256, 16 hex digits).
    static func key(strings: [String], files: [String]) throws -> String {
        let sums = try files.map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UKLError.input(file: path, reason: "cannot read it")
            }
            return sha256(data)
        }
        return String(sha256(Data((strings + sums).joined(separator: "\n").utf8)).prefix(16))
    }

    /// SHA-256 of `data`, in hex.
    static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { bytes in
            ukl_sha256(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &digest)
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The cache's directory `relative`, created if need be. A cache that
    /// cannot be written is the user's to fix (UKL_CACHE), so it is bad input.
    static func directory(_ relative: String) throws -> URL {
        let url = root.appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw UKLError.input(
                file: root.path, reason: "cannot write the cache here (set UKL_CACHE to a writable directory)")
        }
        return url
    }

    /// Runs `body` holding an exclusive lock on the file `path` (flock), so
    /// that two runs (two `compare`s at once) never build one entry together:
    /// the second waits, then finds the first one's entry.
    static func locked<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw UKLError.input(
                file: path, reason: "cannot create the cache lock: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return try body()
    }

    /// What identifies this build of ukl-opt: a rebuilt tool may rewrite or
    /// link differently, so it invalidates cached images.
    static var toolIdentity: String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: executable)
        let size = attributes?[.size] as? Int ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(executable) \(size) \(modified)"
    }
}
