import Foundation

/// Runs external commands (ld.lld, objtool) and reports their failure with
/// the last lines they printed.
enum Shell {
    /// Runs a program with arguments (and `environment` over ours); stderr
    /// lines go to `progress` as they come; returns stdout. Fails with the last lines of
    /// stderr, also when it runs past `timeout` seconds (then it is ended).
    @discardableResult
    static func run(
        _ program: String, _ arguments: [String], in directory: String? = nil, timeout: Double? = nil,
        environment: [String: String] = [:], progress: ((String) -> Void)? = nil
    ) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        final class Lines: @unchecked Sendable {
            var tail: [String] = []
            var output = Data()
        }
        let lines = Lines()
        let done = DispatchSemaphore(value: 0)
        // The reader threads are joined (done.wait) before this function
        // returns, or given up on after a time limit ended the program (a
        // child of it may still hold the pipes).
        nonisolated(unsafe) let progress = progress
        let outputReader = Thread {
            lines.output = out.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
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
        let running = try Running(process)
        reader.start()
        outputReader.start()
        let ending = running.wait(timeout: timeout)
        let deadline: DispatchTime = ending == .exited ? .distantFuture : .now() + 5
        let joined = (0..<2).allSatisfy { _ in done.wait(timeout: deadline) == .success }
        guard ending == .exited, process.terminationStatus == 0, joined else {
            // The program's own name (a script's path relative to nothing), not ukl-opt's.
            let name = program == "/bin/sh" ? "the command '\(arguments.last?.prefix(120) ?? "")'" : program
            let limit = ending == .exited ? [] : ["(stopped: it did not finish within \(Int(timeout ?? 0)) s)"]
            throw UKLError.command(
                program: name, status: process.terminationStatus, tail: (lines.tail + limit).joined(separator: "\n"))
        }
        return String(decoding: lines.output, as: UTF8.self)
    }

    /// Runs a program with this process's standard input, output and error,
    /// as a compiler driver runs its compiler; returns its exit status.
    static func passthrough(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        _ = try Running(process).wait()
        return process.terminationStatus
    }

    /// A started program, and the one way to wait for it: until it exits,
    /// or until `timeout` seconds pass or `stop` says so, when it is ended.
    struct Running {
        enum Ending { case exited, timedOut, stopped }

        let process: Process
        private let exited = DispatchSemaphore(value: 0)

        init(_ process: Process) throws {
            self.process = process
            process.terminationHandler = { [exited] _ in exited.signal() }
            // A child inherits the spawning thread's signal mask, and Swift's
            // threads (Dispatch workers, a test runner's) block SIGTERM, SIGINT
            // and others: QEMU started from one ignored SIGTERM and a hung
            // guest ran on past its time limit. Children start with none blocked.
            var none = sigset_t()
            var saved = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, &saved)
            defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
            try process.run()
        }

        /// Waits for the end; `stop` is asked every 50 ms.
        func wait(timeout: Double? = nil, stop: () -> Bool = { false }) -> Ending {
            let started = Date()
            var ending = Ending.exited
            while exited.wait(timeout: .now() + 0.05) == .timedOut {
                if let timeout, Date().timeIntervalSince(started) > timeout {
                    ending = .timedOut
                } else if stop() {
                    ending = .stopped
                } else {
                    continue
                }
                // SIGTERM, then SIGKILL after a grace period for a program
                // that ignores it.
                process.terminate()
                if exited.wait(timeout: .now() + 5) == .timedOut {
                    kill(process.processIdentifier, SIGKILL)
                }
                break
            }
            process.waitUntilExit()
            return ending
        }
    }

    /// Runs a shell command line (the kernel's saved ld + objtool command).
    static func run(_ command: String, in directory: String) throws {
        try run("/bin/sh", ["-c", command], in: directory)
    }
}
