import Foundation

/// Writes `path` all at once or not at all: `body` writes a temporary file
/// next to it, which is renamed over `path` only when `body` returns.
public func writeAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    do {
        try body(temporary)
        if rename(temporary, path) != 0 {
            throw UKLError.input(file: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
    } catch {
        unlink(temporary)
        throw error
    }
}

/// Writes `data` to `path` atomically; `-` means standard output.
public func writeOutput(_ data: Data, to path: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(data)
        return
    }
    try writeAtomically(to: path) { temporary in
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw UKLError.input(file: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
