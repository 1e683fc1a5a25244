import Foundation

/// Boots an image under QEMU (TCG; KVM guests hang on this machine) with
/// `-icount shift=0,sleep=off`, so the guest's TSC counts instructions and
/// tick figures repeat exactly. The kernel console is on ttyS0, what the
/// application writes on ttyS1 (the image's init, initramfs/init.c, sets
/// that up and reports on the console how the application ended).
public enum Guest {
    public struct Result: Codable, Sendable {
        /// What the application wrote to stdout and stderr.
        public var output: String
        /// Its exit status, from the console's "ukl: application exited with status N".
        public var status: Int?
        /// The signal that killed it, from "ukl: application killed by signal N".
        public var signal: Int?
        /// Why the run failed, when it did (oops, panic, timeout), with the console tail.
        public var failure: String?
        /// Emulator wall time: host seconds, not guest time.
        public var emulatorSeconds: Double
        public var console: String
        /// Privileged and mode-switching instructions executed, when the
        /// boot counted them (and the guest powered off, so QEMU reported).
        public var transitions: Transitions?

        /// Measurements: the `name value` lines the guest printed (what
        /// apps/syscall-bench and the Redis benchmark sidecar print).
        public var ops: [String: Int]? {
            Guest.measurements(in: output).map { Dictionary($0, uniquingKeysWith: { _, last in last }) }
        }
    }

    /// `name value` lines in the order printed (a name of letters, digits,
    /// `_` and `.`; an integer value), or nil when there are none. Other
    /// lines are what else the guest printed (a server's log, say).
    public static func measurements(in output: String) -> [(name: String, ticks: Int)]? {
        var found: [(name: String, ticks: Int)] = []
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let ticks = Int(fields[1]), !fields[0].isEmpty,
                fields[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") })
            else { continue }
            found.append((String(fields[0]), ticks))
        }
        return found.isEmpty ? nil : found
    }

    /// A TCP port on 127.0.0.1 of the host forwarded to a guest port:
    /// `PORT` (the same on both sides) or `HOST:GUEST`.
    public struct PortForward: Sendable, Equatable {
        public let host: Int
        public let guest: Int

        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ $0.map { (1...65535).contains($0) } ?? false })
            else { return nil }
            host = parts[0]!
            guest = parts.last!!
        }
    }

    /// What a boot may write to its console and output together. More is a
    /// runaway guest (an application printing in a loop), stopped at once
    /// instead of filling the disk until the timeout.
    public static let outputLimit = 16 << 20

    /// Guest memory to save when the guest has powered off: `size` bytes
    /// from the kernel virtual address `address`, into `file`.
    public struct MemoryDump: Sendable {
        public var address: UInt64
        public var size: Int
        public var file: String
    }

    /// Boots the image and waits for it to power off. `arguments` go to the
    /// application (through the kernel command line and init). With
    /// `countTransitions`, QEMU loads the transition counter (Transitions).
    /// With `dumps`, QEMU pauses at the power-off instead of exiting, saves
    /// them, and quits: the guest stops at the same instruction every run.
    public static func boot(
        _ imageDirectory: String, arguments: [String] = [], timeout: Double = 120, forwards: [PortForward] = [],
        countTransitions: Bool = false, dumps: [MemoryDump] = []
    ) throws -> Result {
        let image = URL(fileURLWithPath: imageDirectory)
        for file in ["bzImage", "initramfs.cpio"]
        where !FileManager.default.fileExists(atPath: image.appendingPathComponent(file).path) {
            throw UKLError.input(file: imageDirectory, reason: "no \(file): not an image built by 'ukl-opt build'")
        }
        let work = try Scratch.directory("guest")
        defer { try? FileManager.default.removeItem(at: work) }
        let consoleLog = work.appendingPathComponent("console.log").path
        let outputLog = work.appendingPathComponent("output.log").path
        let report = work.appendingPathComponent("transitions").path
        var plugin: [String] = []
        if countTransitions {
            let systemMap = image.appendingPathComponent("System.map")
            guard let map = try? String(contentsOf: systemMap, encoding: .utf8) else {
                throw UKLError.input(
                    file: imageDirectory,
                    reason: "no System.map, so no transition counts: rebuild it with 'ukl-opt build'")
            }
            let entries = work.appendingPathComponent("entries")
            try Transitions.entryPoints(systemMap: map).joined(separator: "\n").write(
                to: entries, atomically: true, encoding: .utf8)
            plugin = ["-plugin", "\(try Transitions.plugin().path),out=\(report),entries=\(entries.path)"]
        }
        // Host-to-guest traffic only: restricted user networking, forwards on 127.0.0.1.
        let network =
            (["user,id=net0,restrict=on,ipv6=off"] + forwards.map { "hostfwd=tcp:127.0.0.1:\($0.host)-:\($0.guest)" })
            .joined(separator: ",")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Nothing the host decides may reach the guest, or tick figures stop
        // repeating (the minimum of 200 echo round trips moved by 416 ticks
        // between two boots). The guest's RNG, which picks ports and TCP
        // state, would be seeded from RDRAND/RDSEED (off), QEMU's own random
        // source (-seed) and the wall clock (an RTC fixed at one date, running
        // on guest time). Virtio queue kicks are handled in the vCPU thread
        // (ioeventfd=off): through an eventfd the main loop answers them at
        // host-timed moments, and the driver spins until it does, so the
        // guest clock drifted by about 20,000 ticks from boot to main. Sent
        // packets are flushed by a guest-clock timer (tx=timer), not a bottom
        // half the main loop runs when the host gets to it: the guest's own
        // IPv6 solicitations go out during a benchmark, and under host load
        // the server's ticks per request moved between boots of one image.
        // No IPv6 on the user network: router solicitations would draw replies.
        process.arguments =
            [
                "qemu-system-x86_64", "-display", "none", "-monitor", "none", "-no-reboot",
                "-m", "512M", "-cpu", "max,-rdrand,-rdseed", "-icount", "shift=0,sleep=off",
                "-seed", "1", "-rtc", "base=2026-01-01T00:00:00,clock=vm",
                "-serial", "file:\(consoleLog)", "-serial", "file:\(outputLog)",
                "-netdev", network, "-device", "virtio-net-pci,netdev=net0,ioeventfd=off,tx=timer",
                "-kernel", image.appendingPathComponent("bzImage").path,
                "-initrd", image.appendingPathComponent("initramfs.cpio").path,
                "-append",
                (["console=ttyS0 panic=-1 oops=panic quiet ukl.app=/app"]
                    + (arguments.isEmpty ? [] : ["--"] + arguments))
                    .joined(separator: " "),
            ] + plugin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let monitor = dumps.isEmpty ? nil : MemoryDumper(dumps, process: process)
        let started = Date()
        func size(_ path: String) -> Int {
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        let ending = try Shell.Running(process).wait(timeout: timeout) {
            size(consoleLog) + size(outputLog) > outputLimit
        }
        let dumpFailure = monitor?.finish()
        let timedOut = ending == .timedOut
        let flooded = ending == .stopped
        let seconds = (Date().timeIntervalSince(started) * 100).rounded() / 100
        // At most the limit's worth of each: a flood's last lines are what matter.
        func read(_ path: String) -> String {
            guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
            defer { try? handle.close() }
            let end = (try? handle.seekToEnd()) ?? 0
            try? handle.seek(toOffset: end > UInt64(outputLimit) ? end - UInt64(outputLimit) : 0)
            return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        }
        let console = read(consoleLog).replacingOccurrences(of: "\r", with: "")
        let output = read(outputLog)
        func verdict(_ words: String) -> Int? {
            console.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: words) else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }.last
        }
        let status = verdict("ukl: application exited with status ")
        let signal = verdict("ukl: application killed by signal ")
        var failure: String?
        let tail = console.split(separator: "\n").suffix(40).joined(separator: "\n")
        if let crash = ["Kernel panic", "Oops", "BUG:", "general protection fault", "double fault"].first(
            where: console.contains)
        {
            failure = "the guest crashed (\(crash)); console tail:\n\(tail)"
        } else if flooded {
            failure =
                "the guest wrote more than \(outputLimit >> 20) MiB to its serial ports and was stopped; console tail:\n\(tail)"
        } else if timedOut {
            failure = "the guest did not power off within \(Int(timeout)) s; console tail:\n\(tail)"
        } else if status == nil && signal == nil {
            failure = "the guest stopped without reporting an exit status; console tail:\n\(tail)"
        } else if let dumpFailure {
            failure = "could not save the guest's memory: \(dumpFailure)"
        }
        let transitions = (try? String(contentsOfFile: report, encoding: .utf8)).flatMap(Transitions.init(report:))
        return Result(
            output: output, status: status, signal: signal, failure: failure, emulatorSeconds: seconds,
            console: console, transitions: transitions)
    }
}

/// Saves guest memory through QEMU's machine protocol (QMP) on QEMU's
/// standard input and output: QEMU pauses at the guest's power-off
/// (`-action`), the dumps are saved with `memsave` (kernel virtual addresses,
/// read through the guest's page tables) and QEMU is told to quit.
private final class MemoryDumper: @unchecked Sendable {
    private let dumps: [Guest.MemoryDump]
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var transcript: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ dumps: [Guest.MemoryDump], process: Process) {
        self.dumps = dumps
        process.arguments! += ["-action", "reboot=shutdown,shutdown=pause", "-qmp", "stdio"]
        process.standardInput = input
        process.standardOutput = output
        Thread.detachNewThread { [self] in converse() }
    }

    private func send(_ command: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: command) else { return }
        try? input.fileHandleForWriting.write(contentsOf: data + Data("\n".utf8))
    }

    private func converse() {
        defer { done.signal() }
        var buffered = Data()
        send(["execute": "qmp_capabilities"])
        var asked = false
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return }
            buffered += chunk
            while let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                lock.withLock { transcript.append(line) }
                // The guest has powered off and QEMU paused: the memory is as the guest left it.
                if !asked && line.contains("\"event\": \"STOP\"") {
                    asked = true
                    for dump in dumps {
                        send([
                            "execute": "memsave",
                            "arguments": [
                                "val": Int64(bitPattern: dump.address), "size": dump.size, "filename": dump.file,
                            ],
                        ])
                    }
                    send(["execute": "quit"])
                }
            }
        }
    }

    /// After QEMU has exited: nil, or what went wrong.
    func finish() -> String? {
        try? input.fileHandleForWriting.close()
        _ = done.wait(timeout: .now() + 5)
        let lines = lock.withLock { transcript }
        if let error = lines.first(where: { $0.contains("\"error\"") }) { return error }
        for dump in dumps {
            let size = (try? FileManager.default.attributesOfItem(atPath: dump.file)[.size] as? Int) ?? 0
            if size != dump.size {
                return "QEMU saved \(size) of \(dump.size) bytes into \(dump.file) (the guest did not power off?)"
            }
        }
        return nil
    }
}
