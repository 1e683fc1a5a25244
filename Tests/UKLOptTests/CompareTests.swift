import Foundation
import Testing

@testable import UKLOpt

/// `ukl-opt compare` over every level, twice: the table, the JSON schema, the
/// picture, and the exact repetition of the tick figures. This is also the
/// test that syscall-bench reports every op at every level.
@Suite(.serialized) struct CompareTests {
    static let ops: Set<String> = ["getppid", "read", "write", "sendto", "recvfrom", "echo"]

    /// The JSON schema `compare --json` promises, decoded strictly.
    struct Output: Decodable {
        struct Level: Decodable {
            let level: String
            let pgo: Bool
            let ops: [String: Int]
            let imageBytes: Int
            let sitesRewritten: Int
            let sitesByOrigin: [String: Int]
            let inlined: Int
            let buildSeconds: Double
            let emulatorSeconds: Double
            let status: Int?
        }
        let app: String
        let unit: String
        let levels: [Level]
    }

    func compare(_ directory: URL, _ name: String, quiet: Bool = true) throws -> (Fixtures.Result, Output) {
        let json = directory.appendingPathComponent("\(name).json").path
        let plot = directory.appendingPathComponent("\(name).svg").path
        let result = try Fixtures.ukl(
            ["compare"] + (quiet ? ["--quiet"] : [])
                + ["--json", json, "--plot", plot, "--timeout", "240"])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try #require(FileManager.default.contents(atPath: json), "no JSON: \(result.stderr)")
        return (result, try Fixtures.decoder.decode(Output.self, from: data))
    }

    /// The modification time of every file in the kernel tree's top
    /// directory (vmlinux.o, vmlinux, System.map, make's logs, ...) and of its bzImage.
    static func treeState(_ tree: String) throws -> [String: Date] {
        let names = try FileManager.default.contentsOfDirectory(atPath: tree) + ["arch/x86/boot/bzImage"]
        return try Dictionary(
            uniqueKeysWithValues: names.map { name in
                let attributes = try FileManager.default.attributesOfItem(atPath: tree + "/" + name)
                return (name, try #require(attributes[.modificationDate] as? Date))
            })
    }

    @Test(.enabled(if: GuestTests.enabled, "UKL_KERNEL_BUILD is not set"), .integration)
    func everyLevelTwiceGivesTheSameTicks() throws {
        // Building images (LTO over the tree's archives, relinking) and
        // reusing them only read the kernel tree other builds share.
        let tree = try #require(KernelLTOTests.kernel)
        let before = try Self.treeState(tree)
        let directory = try Fixtures.scratch()
        let (first, output) = try compare(directory, "first")

        #expect(output.app == "syscall-bench" && output.unit == "icount ticks")
        #expect(output.levels.map(\.level) == Level.allCases.map(\.rawValue))
        for level in output.levels {
            #expect(Set(level.ops.keys) == Self.ops, "\(level.level)")
            #expect(level.ops.values.allSatisfy { $0 > 0 }, "\(level.level)")
            #expect(level.status == 0 && level.imageBytes > 1_000_000)
            #expect((level.level == "linux") == (level.sitesRewritten == 0), "\(level.level)")
            // syscall-bench is a libc program: most of its sites are musl's.
            #expect(level.sitesByOrigin.values.reduce(0, +) == level.sitesRewritten, "\(level.level)")
            #expect(
                level.level == "linux"
                    || level.sitesByOrigin["libc", default: 0] > level.sitesByOrigin["app", default: 0])
        }

        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("syscall-bench: icount ticks per op") == true)
        #expect(lines.contains { $0.split(separator: " ").first == "getppid" && $0.contains("x)") })
        for row in ["image", "sites rewritten", "app/rt/libc/asm", "calls inlined", "build s", "emulator wall s"] {
            #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(row) }, "\(row)")
        }

        let svg = try String(contentsOfFile: directory.appendingPathComponent("first.svg").path, encoding: .utf8)
        #expect(svg.hasPrefix("<svg "))
        #expect(svg.components(separatedBy: "<title>").count - 1 == Self.ops.count * output.levels.count)

        // icount makes every figure exact: a second run repeats them. Nothing
        // changed, so it reuses every image instead of building it again.
        let (second, again) = try compare(directory, "second", quiet: false)
        for (a, b) in zip(output.levels, again.levels) {
            #expect(a.ops == b.ops, "\(a.level)")
            #expect(second.stderr.contains("\(a.level): image unchanged, reusing"), "\(a.level): \(second.stderr)")
        }
        #expect(!second.stderr.contains("make bzImage"), "\(second.stderr)")
        let after = try Self.treeState(tree)
        #expect(after == before, "changed: \(after.filter { before[$0.key] != $0.value }.keys.sorted())")
    }
}
