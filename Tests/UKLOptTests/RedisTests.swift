import Foundation
import Testing

@testable import UKLOpt

/// Redis from Debian's source, unmodified, built with `ukl-opt cc`
/// (scripts/redis-build.sh), as the application at every level. Needs the
/// kernel build (see KernelLTOTests) and redis-cli on the host (redis-tools).
/// Each level's kernel with Redis linked in is built once and shared by the
/// images below (they differ only in their sidecars).
@Suite(.serialized) struct RedisTests {
    /// What the sidecar client (Tests/Fixtures/redis/client.c) prints, at every level.
    static let clientLines = [
        "client: PING: +PONG||",
        "client: SET greeting hello: +OK||",
        "client: GET greeting: $5||hello||",
        "client: INCR counter: :1||",
        "client: INCR counter: :2||",
        "client: INCRBY counter 40: :42||",
        "client: LPUSH list a b c: :3||",
        "client: RPUSH list d: :4||",
        "client: LRANGE list 0 -1: *4||$1||c||$1||b||$1||a||$1||d||",
        "client: LLEN list: :4||",
        "client: DEL greeting list: :2||",
        "client: GET greeting: $-1||",
        "client: EXISTS counter: :1||",
        "client: DBSIZE: :1||",
    ]

    /// What redis-cli on the host sends through the forward (to database 1,
    /// while the sidecar client uses database 0), and what it must print.
    static let hostSession: [([String], String)] = [
        (["SET", "greeting", "hello"], "OK"),
        (["GET", "greeting"], "hello"),
        (["INCR", "counter"], "1"),
        (["INCR", "counter"], "2"),
        (["LPUSH", "list", "a", "b", "c"], "3"),
        (["LRANGE", "list", "0", "-1"], "c\nb\na"),
        (["DBSIZE"], "3"),  // greeting, counter, list
    ]

    /// One boot per level serves both clients: the sidecar's commands in the
    /// guest and redis-cli's from the host through a port forward. When both
    /// are done (the sidecar sets client_done in database 2), the host shuts
    /// Redis down with SHUTDOWN NOSAVE and the guest powers off.
    @Test(.enabled(if: GuestTests.enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func redisAnswersASidecarClientAndAHostClientAtEveryLevel() throws {
        let client = Fixtures.directory.appendingPathComponent("redis/client.c").path
        for level in Level.allCases {
            let work = try Fixtures.scratch()
            defer { try? FileManager.default.removeItem(at: work) }
            let output = work.appendingPathComponent("output")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let port = try Self.freePort()
            let server = Process()
            server.executableURL = URL(fileURLWithPath: Fixtures.tool)
            server.arguments = [
                "run", "--quiet", "--level", level.rawValue, "--app", "redis", "--sidecar", client,
                "--forward", "\(port):6379", "--timeout", "300",
            ]
            server.standardOutput = try FileHandle(forWritingTo: output)
            let errors = work.appendingPathComponent("errors")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            server.standardError = try FileHandle(forWritingTo: errors)
            try server.run()
            defer { if server.isRunning { server.terminate() } }
            func cli(_ arguments: [String]) throws -> Fixtures.Result {
                try Fixtures.run("redis-cli", ["-p", "\(port)"] + arguments)
            }
            // The image may be built first: wait for it, and for what is asked.
            func wait(for arguments: [String], toPrint expected: String) throws -> Bool {
                let started = Date()
                while try cli(arguments).stdout != expected {
                    guard server.isRunning, Date().timeIntervalSince(started) < 900 else { return false }
                    usleep(500_000)
                }
                return true
            }
            guard try wait(for: ["PING"], toPrint: "PONG\n") else {
                Issue.record(
                    "\(level): Redis never answered the host: \(try String(contentsOf: errors, encoding: .utf8))")
                continue
            }
            for (command, expected) in Self.hostSession {
                let reply = try cli(["-n", "1"] + command)
                #expect(reply.stdout == expected + "\n", "\(level): \(command): \(reply.stdout)\(reply.stderr)")
            }
            #expect(try wait(for: ["-n", "2", "GET", "client_done"], toPrint: "yes\n"), "\(level): no client_done")
            _ = try cli(["SHUTDOWN", "NOSAVE"])
            server.waitUntilExit()
            let stderr = try String(contentsOf: errors, encoding: .utf8)
            #expect(server.terminationStatus == 0, "\(level): \(stderr)")
            let printed = try String(contentsOf: output, encoding: .utf8)
            let lines = printed.split(separator: "\n").map(String.init).filter { $0.hasPrefix("client: ") }
            #expect(lines == Self.clientLines, "\(level): \(printed)")
        }
    }

    /// The benchmark `compare --app redis` runs, at linux and shortcut (the
    /// five-level compare is bench/redis-compare.sh): every figure is there,
    /// and a second boot of the same images prints the very same figures
    /// (before virtio-net flushed on a guest-clock timer, host load moved
    /// them in about one boot in four).
    @Test(.enabled(if: GuestTests.enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func theBenchmarkRunsAndRepeatsExactly() throws {
        let work = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: work) }
        var runs: [[[String: Int]]] = []
        for index in 0..<2 {
            let json = work.appendingPathComponent("compare-\(index).json").path
            let result = try Fixtures.ukl(
                "compare", "--quiet", "--app", "redis", "--levels", "linux,shortcut", "--json", json)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let comparison = try JSONDecoder().decode(
                Comparison.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(comparison.levels.map(\.level) == [.linux, .shortcut])
            runs.append(comparison.levels.map(\.ops))
        }
        let names: Set<String> = Set(
            ["set", "get"].flatMap { test in ["rps", "p50_us", "p99_us", "server_ticks"].map { "\(test).\($0)" } })
        for ops in runs.flatMap({ $0 }) {
            #expect(Set(ops.keys) == names)
            #expect(ops.values.allSatisfy { $0 > 0 })
        }
        for (index, level) in ["linux", "shortcut"].enumerated() {
            let figures = runs.map { $0[index] }
            #expect(figures.allSatisfy { $0 == figures[0] }, "\(level): \(figures)")
        }
    }

    /// A TCP port on 127.0.0.1 nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Fixtures.FixtureError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
