import Foundation
import Testing

@testable import UKLOpt

/// `ukl-opt run`: build an image, boot it under QEMU, report what the
/// application printed. Needs the kernel build (see KernelLTOTests).
@Suite(.serialized) struct GuestTests {
    static let enabled = ProcessInfo.processInfo.environment["UKL_KERNEL_BUILD"] != nil

    struct Run: Decodable {
        let level: String
        let status: Int?
        let output: String
        let failure: String?
        let emulatorSeconds: Double
        let ops: [String: Int]?
    }

    func run(_ level: String, _ app: String) throws -> (Fixtures.Result, Run?) {
        let result = try Fixtures.ukl("run", "--quiet", "--json", "--level", level, "--app", app, "--timeout", "240")
        return (result, try? Fixtures.decoder.decode(Run.self, from: Data(result.stdout.utf8)))
    }

    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(10)))
    func bundledAppByName() throws {
        let (result, report) = try run("linux", "hello")
        #expect(result.status == 41, "\(result.stderr)")
        #expect(report?.output == "hello from ukl-opt\n/init\n")
        #expect(report?.status == 41)
    }

    /// Differential: an ordinary C program, several files and a static
    /// library built by `make CC="ukl-opt cc"`, using stdio, malloc, qsort,
    /// errno, a pipe, a file, loopback TCP, a signal, setjmp, libm, environ,
    /// thread-locals and atexit through musl, prints the same at every level.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(30)))
    func aLibcProgramBuiltByMakePrintsTheSameAtEveryLevel() throws {
        let app = try Fixtures.make("libc-project")
        for level in Level.allCases {
            let (result, report) = try run(level.rawValue, app)
            #expect(result.status == 0, "\(level): \(result.stderr)")
            #expect(
                report?.output == "sort:ok malloc:ok errno:No such file or directory pipe:ok file:ok tcp:ok "
                    + "signal:ok jmp:ok math:1.4142/2.0 syscall:ok tls:6 env:/\natexit:ok", "\(level)")
        }
    }

    /// Nothing host-timed or host-random reaches the guest: two boots of one
    /// image see the same clock at main, the same RNG output and the same
    /// ephemeral port. Without this, tick figures drift between runs.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(15)))
    func twoBootsSeeTheSameGuest() throws {
        let app = try Fixtures.cc("entropy.c")
        for level in [Level.linux, .base] {
            let first = try run(level.rawValue, app).1
            let second = try run(level.rawValue, app).1
            #expect(first?.status == 0 && second?.status == 0, "\(level): \(first?.failure ?? second?.failure ?? "")")
            #expect(first?.output.hasPrefix("tsc ") == true, "\(level): \(first?.output ?? "")")
            #expect(first?.output == second?.output, "\(level)")
        }
    }

    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(10)))
    func aCrashingAppIsReportedNotHungOn() throws {
        let app = try Fixtures.cc("crash.c")
        let (result, report) = try run("linux", app)
        #expect(result.status == 3)
        #expect(result.stderr.contains("the guest crashed (Kernel panic)"), "\(result.stderr)")
        #expect(result.stderr.contains("Attempted to kill init"))
        #expect(report?.output == "about to crash\n")
    }

    /// The echo server runs in ring 0 and answers a client on the host through
    /// a QEMU port forward on 127.0.0.1.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .timeLimit(.minutes(10)))
    func echoServerAnswersAHostClientAtBase() throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Fixtures.tool)
        server.arguments = [
            "run", "--quiet", "--level", "base", "--app", "echo", "--forward", "5555", "--timeout", "300",
        ]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        let client = try Fixtures.run("python3", [Fixtures.directory.appendingPathComponent("echo_client.py").path])
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        server.waitUntilExit()
        #expect(client.status == 0, "\(client.stdout) \(client.stderr)")
        #expect(server.terminationStatus == 0)
        #expect(output == "echo: listening on port 5555\necho: shutdown\n")
    }
}
