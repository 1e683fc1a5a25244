import Foundation
import Testing

@testable import UKLOpt

@Suite struct InspectTests {
    @Test func findsEverySiteByFunctionAndNumber() throws {
        let module = try Module.load(try Fixtures.bitcode("raw_syscalls.c"))
        let sites = try Rewriter.load().sites(in: module)
        let found = sites.map { "\($0.function) \($0.via.rawValue) \($0.label)" }
        #expect(
            found == [
                "say asm write",
                "parent asm getppid",
                "any asm dynamic",
                "wrapped wrapper getpid",
                "main asm write",
                "main asm getppid",
            ])
        #expect(sites.first { $0.function == "any" }?.number == nil)
        #expect(sites.first { $0.function == "parent" }?.number == 110)
    }

    @Test func asmThatIsNotASyscallIsNotASite() throws {
        let source = """
            unsigned long cycles(void) { unsigned lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((unsigned long)hi << 32) | lo; }
            void pause(void) { __asm__ volatile("pause; # syscall is only mentioned here" ::: "memory"); }
            void barrier(void) { __asm__ volatile("" ::: "memory"); }
            """
        let module = try Module.load(try Fixtures.bitcode("noise.c", source: source))
        #expect(try Rewriter.load().sites(in: module).isEmpty)
    }

    @Test func jsonListsSitesAndSummary() throws {
        let result = try Fixtures.ukl("inspect", "--json", try Fixtures.bitcode("raw_syscalls.c"))
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let summary = json["summary"] as! [[String: Any]]
        let counts = Dictionary(uniqueKeysWithValues: summary.map { ($0["syscall"] as! String, $0["sites"] as! Int) })
        #expect(counts == ["write": 2, "getppid": 2, "getpid": 1, "dynamic": 1])
        #expect((json["sites"] as! [Any]).count == 6)
    }

    @Test func tableNamesFunctionsAndSyscalls() throws {
        let result = try Fixtures.ukl("inspect", try Fixtures.bitcode("raw_syscalls.c"))
        #expect(result.status == 0)
        #expect(result.stdout.contains("6 syscall sites in 5 functions"))
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.contains("any asm - dynamic app"))
        #expect(lines.contains("wrapped wrapper 39 getpid app"))
    }
}
