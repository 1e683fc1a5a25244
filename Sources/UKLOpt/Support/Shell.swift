import Foundation

/// Runs external commands (ld.lld, objtool) and reports their failure with
/// the last lines they printed.
enum Shell {
    /// Runs a program with arguments and `input` on stdin; stderr lines go to
    /// `progress` as they come; returns stdout. Fails with the last lines of stderr.
    @discardableResult
    static func run(
        _ program: String, _ arguments: [String], in directory: String? = nil, input: Data? = nil,
        progress: ((String) -> Void)? = nil
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        final class Lines: @unchecked Sendable { var tail: [String] = [] }
        let lines = Lines()
        let done = DispatchSemaphore(value: 0)
        // The reader thread is joined (done.wait) before this function returns.
        nonisolated(unsafe) let progress = progress
        let reader = Thread {
            let handle = err.fileHandleForReading
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.tail = Array((lines.tail + [line]).suffix(15))
                    progress?(line)
                }
            }
            if !pending.isEmpty { lines.tail.append(String(decoding: pending, as: UTF8.self)) }
            done.signal()
        }
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        reader.start()
        if let stdin, let input {
            // Small inputs (cache keys): the pipe buffer takes them whole.
            try stdin.fileHandleForWriting.write(contentsOf: input)
            try stdin.fileHandleForWriting.close()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        guard process.terminationStatus == 0 else {
            // The program's own name (a script's path relative to nothing), not ukl-opt's.
            let name = program == "/bin/sh" ? "the command '\(arguments.last?.prefix(120) ?? "")'" : program
            throw UKLError.command(
                program: name, status: process.terminationStatus,
                tail: lines.tail.joined(separator: "\n"))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs a program with this process's standard input, output and error,
    /// as a compiler driver runs its compiler; returns its exit status.
    static func passthrough(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs a shell command line (the kernel's saved ld + objtool command).
    static func run(_ command: String, in directory: String) throws {
        try run("/bin/sh", ["-c", command], in: directory)
    }
}
