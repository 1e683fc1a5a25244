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
        let signal: Int?
        let output: String
        let failure: String?
        let emulatorSeconds: Double
        let ops: [String: Int]?
    }

    func run(_ level: String, _ app: String, _ extra: String...) throws -> (Fixtures.Result, Run?) {
        let result = try Fixtures.ukl(
            ["run", "--quiet", "--json", "--level", level, "--app", app, "--timeout", "240"] + extra)
        return (result, try? Fixtures.decoder.decode(Run.self, from: Data(result.stdout.utf8)))
    }

    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func bundledAppByName() throws {
        let (result, report) = try run("linux", "hello")
        #expect(result.status == 41, "\(result.stderr)")
        #expect(report?.output == "hello from ukl-opt\n/app\n")
        #expect(report?.status == 41)
    }

    /// Differential: an ordinary C program, several files and a static
    /// library built by `make CC="ukl-opt cc"`, using stdio, malloc, qsort,
    /// errno, a pipe, a file, loopback TCP, a signal, setjmp, libm, environ,
    /// thread-locals and atexit through musl, prints the same at every level.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
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
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
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

    /// A bad pointer is a SIGSEGV at every level, in ring 0 too: the image's
    /// init reports the signal, and `run` exits with 128 + 11.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func aFaultingAppIsKilledBySIGSEGV() throws {
        let app = try Fixtures.cc("crash.c")
        for level in ["linux", "base"] {
            let (result, report) = try run(level, app)
            #expect(result.status == 139, "\(level): \(result.stderr)")
            #expect(result.stderr.contains("killed by signal 11"), "\(level): \(result.stderr)")
            #expect(report?.signal == 11 && report?.failure == nil, "\(level)")
            #expect(report?.output == "about to crash\n", "\(level)")
        }
    }

    /// A guest that never powers off, and one that prints without end, are
    /// each stopped and reported with the console tail (exit 3), in bounded
    /// time. (The runner does not depend on the level: linux is the cheap one.)
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func aHangingOrFloodingGuestIsStoppedAndReported() throws {
        let hung = try Fixtures.ukl([
            "run", "--quiet", "--level", "linux", "--app", Fixtures.cc("hang.c"), "--timeout", "20",
        ])
        #expect(hung.status == 3)
        #expect(hung.stdout == "hanging\n")
        #expect(hung.stderr.contains("did not power off within 20 s; console tail:\n"), "\(hung.stderr)")

        let started = Date()
        let flood = try Fixtures.ukl([
            "run", "--quiet", "--level", "linux", "--app", Fixtures.cc("flood.c"), "--timeout", "900",
        ])
        #expect(flood.status == 3)
        #expect(
            flood.stderr.contains("wrote more than \(Guest.outputLimit >> 20) MiB to its serial ports and was stopped"),
            "\(flood.stderr.suffix(2000))")
        #expect(flood.stdout.utf8.count <= Guest.outputLimit)
        #expect(flood.stdout.hasSuffix("again and again\n") || flood.stdout.contains("flood "))
        #expect(Date().timeIntervalSince(started) < 900)
    }

    /// A ring-0 application is a full Linux process (Documentation/x86/ukl.rst
    /// in the kernel series): the same program prints the same at every level.
    /// Tests/Fixtures/process/app.c runs four pthreads with TLS, a mutex, a
    /// condition variable and a pipe; catches SIGSEGV from its own bad pointer
    /// and longjmps out; gets EFAULT from read and write; has blocking read and
    /// nanosleep interrupted by SIGSTOP/SIGCONT (restarted, no EINTR), by a
    /// SA_RESTART handler (restarted) and by a plain handler (EINTR), as
    /// Linux restarts system calls, at the bypass tiers too; uses a 1 MiB stack
    /// frame; spins without system calls until a sidecar (helper.c, started by
    /// the image's init) has made progress, so it must be preempted, and keeps
    /// its floating-point state across that while the sidecar uses the FPU;
    /// starts a static program with posix_spawn (exec from a ring-0 task);
    /// and has an unprivileged child write and exec a "\177UKL" file, which
    /// the kernel refuses. Then the same app, told to spin, is killed by
    /// SIGKILL from a child.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func aRingZeroAppIsAFullProcessAtEveryLevel() throws {
        let app = Fixtures.directory.appendingPathComponent("process/app.c").path
        let helper = Fixtures.directory.appendingPathComponent("process/helper.c").path
        let expected = """
            threads: ok
            segv: ok
            efault: ok
            restart: ok
            bigframe: ok
            fpu: ok
            helper: hello from ring 3
            spawn: ok
            ukl-exec: ok
            done

            """
        for level in Level.allCases {
            let (result, report) = try run(level.rawValue, app, "--sidecar", helper)
            #expect(result.status == 0, "\(level): \(result.stderr)")
            #expect(report?.output == expected, "\(level): \(report?.output ?? result.stderr)")

            let (killed, killedReport) = try run(level.rawValue, app, "--sidecar", helper, "--", "kill")
            #expect(killed.status == 128 + 9, "\(level): \(killed.stderr)")
            #expect(killedReport?.signal == 9, "\(level)")
            #expect(killedReport?.output == "spinning\n", "\(level): \(killedReport?.output ?? "")")
        }
    }

    /// The echo server runs in ring 0 and answers a client on the host through
    /// a QEMU port forward on 127.0.0.1.
    @Test(.enabled(if: enabled, "UKL_KERNEL_BUILD is not set"), .integration)
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
