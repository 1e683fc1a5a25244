import Foundation
import Synchronization
import Testing

@testable import UKLOpt

/// The image cache: keys that follow every input, and a bounded size.
struct ImageCacheTests {
    @Test func keysFollowStringsAndFileBytes() throws {
        let file = try Fixtures.scratch().appendingPathComponent("input")
        try Data("one".utf8).write(to: file)
        let key = try Cache.key(strings: ["base", "app"], files: [file.path])
        #expect(key.count == 16 && key.allSatisfy(\.isHexDigit))
        #expect(try Cache.key(strings: ["base", "app"], files: [file.path]) == key)
        #expect(try Cache.key(strings: ["bypass", "app"], files: [file.path]) != key)
        #expect(try Cache.key(strings: ["base", "app"], files: []) != key)
        try Data("two".utf8).write(to: file)
        #expect(try Cache.key(strings: ["base", "app"], files: [file.path]) != key)
    }

    /// Before a build, a level keeps its most recently used images (one slot
    /// short, for the new one); other levels and live builds are untouched.
    @Test func pruneKeepsTheMostRecentlyUsedImagesOfALevel() throws {
        let cache = try Fixtures.scratch()
        let manager = FileManager.default
        let now = Date()
        func make(_ name: String, age: TimeInterval) throws {
            let url = cache.appendingPathComponent(name)
            try manager.createDirectory(at: url, withIntermediateDirectories: true)
            try manager.setAttributes([.modificationDate: now - age], ofItemAtPath: url.path)
        }
        for index in 0..<12 { try make("base-\(index)", age: Double(index) * 60) }
        try make("linux-old", age: 86_400)
        try make("base-x.tmp-\(getpid())", age: 0)  // a build in progress: this process
        try make("base-y.tmp-\(Int32.max - 1)", age: 0)  // a build whose process is gone

        ImageBuilder.prune(cache, level: .base)

        let left = Set(try manager.contentsOfDirectory(atPath: cache.path))
        let kept = (0..<(ImageBuilder.keptPerLevel - 1)).map { "base-\($0)" }
        #expect(left == Set(kept + ["linux-old", "base-x.tmp-\(getpid())"]))
    }

    /// Two runs that want the same entry at once build it once: the second
    /// waits for the first and reuses what it built.
    @Test func anEntryIsBuiltOnceByTwoRunsAtOnce() throws {
        let directory = try Fixtures.scratch().appendingPathComponent("base-key")
        let record = directory.appendingPathComponent("built")
        let builds = Mutex(0)
        let reused = Mutex<[Bool]>([])
        // Two threads stand for two processes: flock locks open files, not processes.
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let result = try? ImageBuilder.entry(
                directory, level: .base, load: { try? String(contentsOf: record, encoding: .utf8) }
            ) { staging in
                builds.withLock { $0 += 1 }
                usleep(300_000)
                try "yes".write(to: staging.appendingPathComponent("built"), atomically: true, encoding: .utf8)
                return "yes"
            }
            reused.withLock { $0.append(result?.reused ?? false) }
        }
        #expect(builds.withLock { $0 } == 1)
        #expect(reused.withLock { $0.sorted { !$0 && $1 } } == [false, true])
    }

    /// A cache that cannot be written is bad input, named, before any building.
    @Test func anUnwritableCacheIsBadInput() throws {
        let result = try Fixtures.run(
            Fixtures.tool, ["build", "--level", "linux", "--app", "hello", "-o", "/tmp/never"],
            environment: ["UKL_CACHE": "/etc/hostname/cache"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ukl-opt: error: /etc/hostname/cache: cannot write the cache here (set UKL_CACHE to a writable directory)\n"
        )
    }

    /// An initramfs depends on its files' contents only: their mtimes
    /// reached the guest and moved its figures (sendto: 7688 or 5820
    /// instructions from one bzImage).
    @Test(.enabled(if: GuestTests.enabled, "UKL_KERNEL_BUILD is not set"))
    func anInitramfsIsTheSameWhenBuiltAgain() throws {
        let kernel = ProcessInfo.processInfo.environment["UKL_KERNEL_BUILD"]!
        let dir = try Fixtures.scratch()
        let script = Fixtures.root.appendingPathComponent("scripts/make-initramfs.sh").path
        var archives: [Data] = []
        for (index, age) in [0, 5000].enumerated() {
            let file = dir.appendingPathComponent("app\(index)")
            try Data("the same bytes\n".utf8).write(to: file)
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -Double(age))], ofItemAtPath: file.path)
            let out = dir.appendingPathComponent("initramfs\(index).cpio").path
            let result = try Fixtures.run(script, [kernel, out, "/init=\(file.path)", "/bin/app=\(file.path)"])
            try #require(result.status == 0, "\(result.stderr)")
            archives.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            if index == 0 { Thread.sleep(forTimeInterval: 1.1) }  // directories take the build's time otherwise
        }
        #expect(archives[0] == archives[1])
    }

    @Test func portForwardsAreOnePortOrHostAndGuest() {
        #expect(Guest.PortForward("6379") == Guest.PortForward("6379:6379"))
        #expect(Guest.PortForward("16379:6379").map { [$0.host, $0.guest] } == [16379, 6379])
        for bad in ["", "0", "70000", "a", "1:2:3", ":6379", "6379:"] {
            #expect(Guest.PortForward(bad) == nil, "\(bad)")
        }
    }

    /// A server's log among the figures: only `name integer` lines count.
    @Test func measurementsAreNameValueLinesAmongOtherOutput() {
        let output =
            "18:M 01 Jan 2026 00:00:01.300 * Ready to accept connections\nset.rps 24814\nnot a 12\nget.p50_us 103\n"
        #expect(Guest.measurements(in: output)?.map(\.name) == ["set.rps", "get.p50_us"])
        #expect(Guest.measurements(in: "hello\n") == nil)
        #expect(Comparison.kind(of: "set.rps")?.higherIsBetter == true)
        #expect(Comparison.kind(of: "getppid") == nil)
    }

    /// The bundled Redis workload describes itself completely.
    @Test func theRedisWorkloadIsComplete() throws {
        let workload = try #require(try Workload.named("redis"))
        #expect(workload.app == "redis-server.bc")
        #expect(Set(workload.programs.keys) == ["/bin/redis-benchmark", "/bin/redis-cli"])
        for file in [workload.build] + Array(workload.files.values) + workload.compareSidecars {
            #expect(FileManager.default.fileExists(atPath: try DataDirectory.file(file).path), "\(file)")
        }
        #expect(try Workload.named("syscall-bench") == nil)
        #expect(try Workload.named("x.c") == nil)
    }
}
