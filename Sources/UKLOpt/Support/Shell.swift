import Foundation

/// Runs external commands (ld.lld, objtool) and reports their failure with
/// the last lines they printed.
enum Shell {
    static func run(_ command: String, in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: output, as: UTF8.self).split(separator: "\n").suffix(10).joined(separator: "\n")
            throw UKLError.tool("'\(command.prefix(200))' failed (status \(process.terminationStatus)):\n\(tail)")
        }
    }
}
