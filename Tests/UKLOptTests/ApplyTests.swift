import Foundation
import Testing

@testable import UKLOpt

@Suite struct ApplyTests {
    func rewritten(
        _ level: Level, fixture: String = "raw_syscalls.c", source: String? = nil
    ) throws -> (text: String, report: RewriteReport) {
        let module = try Module.load(try Fixtures.bitcode(fixture, source: source))
        let rewriter = try Rewriter.load()
        let report = try rewriter.rewrite(module, level: level)
        #expect(rewriter.sites(in: module).isEmpty, "a syscall site survived \(level)")
        return (module.text, report)
    }

    @Test func baseCallsTheEntryKeepingTheRegisterConvention() throws {
        let (text, report) = try rewritten(.base)
        #expect(report.sites.count == 6)
        #expect(report.sites.allSatisfy { $0.how == .entry && $0.callee == "ukl_entry_SYSCALL_64" })
        #expect(!text.contains("\"syscall\""))
        // Same constraints and arguments as the original syscall asm.
        #expect(
            text.contains(
                #"asm sideeffect "movq $$ukl_entry_SYSCALL_64, %rcx\0A\09call *%rcx", "={ax},{ax},{di},{si},{dx},~{rcx},~{r11},~{memory},~{dirflag},~{fpsr},~{flags}"(i64 1, i64 1, i64 ptrtoint (ptr @.str to i64), i64 3)"#
            ))
        #expect(
            text.contains(
                #"asm sideeffect "movq $$ukl_entry_SYSCALL_64, %rcx\0A\09call *%rcx", "={ax},{ax},~{rcx},~{r11},~{memory},~{dirflag},~{fpsr},~{flags}"(i64 110)"#
            ))
        // The libc wrapper's call goes through the entry and libc's errno convention.
        #expect(!text.contains("call i64 (i64, ...) @syscall"))
        #expect(text.contains("call i64 @ukl.syscall_result"))
        #expect(text.contains("call ptr @__errno_location()"))
        // Unrelated inline asm is untouched.
        #expect(text.contains(#"asm sideeffect "rdtsc", "={ax},={dx},~{dirflag},~{fpsr},~{flags}"()"#))
    }

    @Test func bypassCallsPerSyscallEntriesWithTheCConvention() throws {
        let (text, report) = try rewritten(.bypass)
        #expect(text.contains("call i64 @ukl_bypass_write(i64 1, i64 ptrtoint (ptr @.str to i64), i64 3)"))
        #expect(text.contains("call i64 @ukl_bypass_getppid()"))
        #expect(text.contains("declare i64 @ukl_bypass_write(i64, i64, i64)"))
        // A number that is not constant goes to the dispatcher, number first.
        #expect(
            text.contains(#/call i64 @ukl_bypass_dispatch\(i64 %[\w.]+, i64 0, i64 0, i64 0, i64 0, i64 0, i64 0\)/#))
        #expect(text.contains("call i64 @ukl_bypass_getpid()"))
        #expect(!text.contains("asm sideeffect \"call"))
        #expect(report.counts == [.direct: 5, .dispatch: 1])
    }

    @Test func nssUsesItsOwnEntries() throws {
        let (text, _) = try rewritten(.nss)
        #expect(text.contains("call i64 @ukl_nss_getppid()"))
        #expect(text.contains(#/@ukl_nss_dispatch\(i64 %[\w.]+, /#))
        #expect(!text.contains("ukl_bypass_"))
    }

    @Test func shortcutSendsSocketCallsToTheTCPEntries() throws {
        let (text, report) = try rewritten(.shortcut)
        #expect(text.contains("call i64 @ukl_tcp_write(i64 1, i64 ptrtoint (ptr @.str to i64), i64 3)"))
        #expect(text.contains("call i64 @ukl_nss_getppid()"))
        #expect(report.counts[.shortcut] == 2)
        let source = """
            static long sys6(long n, long a, long b, long c, long d, long e, long f) {
                long r; register long r10 __asm__("r10") = d; register long r8 __asm__("r8") = e; register long r9 __asm__("r9") = f;
                __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
                return r;
            }
            long send_to(void) { return sys6(44, 7, 0x1000, 33, 0, 0, 0); }
            long recv_from(void) { return sys6(45, 8, 0x2000, 34, 64, 0, 0); }
            long rd(void) { return sys6(0, 9, 0x3000, 35, 0, 0, 0); }
            """
        let (socketText, _) = try rewritten(.shortcut, fixture: "sockets.c", source: source)
        // Arguments keep their registers' order: di, si, dx, r10, r8, r9.
        #expect(socketText.contains("call i64 @ukl_tcp_sendto(i64 7, i64 4096, i64 33, i64 0, i64 0, i64 0)"))
        #expect(socketText.contains("call i64 @ukl_tcp_recvfrom(i64 8, i64 8192, i64 34, i64 64, i64 0, i64 0)"))
        #expect(socketText.contains("call i64 @ukl_tcp_read(i64 9, i64 12288, i64 35)"))
    }

    /// Calls that need the entry's register frame (here exit_group and
    /// rt_sigreturn) keep it at the direct tiers; their neighbours do not.
    @Test func frameDependentSyscallsKeepTheEntryAtDirectTiers() throws {
        let header = Fixtures.directory.appendingPathComponent("syscall.h").path
        let source = """
            #include "\(header)"
            void quit(int code) { ukl_syscall3(SYS_exit_group, code, 0, 0); }
            long self(int sig) { return ukl_syscall3(SYS_kill, ukl_syscall0(SYS_getpid), sig, 0); }
            long sigret(void) { return ukl_syscall0(15); }
            long pid(void) { return ukl_syscall0(SYS_getpid); }
            """
        for level in [Level.bypass, .nss, .shortcut] {
            let (text, report) = try rewritten(level, fixture: "frame.c", source: source)
            let byCallee = Dictionary(grouping: report.sites, by: \.site.number)
            #expect(byCallee[231]?.first?.how == .entry)
            #expect(byCallee[231]?.first?.note == "kept the entry: exit_group needs the full syscall frame")
            #expect(byCallee[15]?.first?.how == .entry)
            #expect(byCallee[39]?.first?.callee == "ukl_\(level == .bypass ? "bypass" : "nss")_getpid")
            #expect(text.contains("call *%rcx"))
        }
    }

    /// A lone `syscall` with no rax input has no number: sending it to the
    /// dispatcher would make it read (0). It is refused, the function named.
    @Test func aSyscallWithoutANumberIsRefused() throws {
        let source = """
            long nonumber(long fd) { long r; __asm__ volatile("syscall" : "=a"(r) : "D"(fd) : "rcx", "r11", "memory"); return r; }
            """
        let module = try Module.load(try Fixtures.bitcode("nonumber.c", source: source))
        #expect(
            throws: UKLError.input(
                file: module.origin,
                reason: "the syscall asm in 'nonumber' has no rax input, so its "
                    + "syscall number is unknown; pass the number as an \"a\" operand")
        ) {
            try Rewriter.load().rewrite(module, level: .bypass)
        }
    }

    @Test func asmDoingMoreThanSyscallKeepsTheEntry() throws {
        let source = """
            long pid(void) { long r; __asm__ volatile("movl $39, %%eax\\n\\tsyscall" : "=a"(r) : : "rcx", "r11", "memory"); return r; }
            """
        let (baseText, _) = try rewritten(.base, fixture: "twostep.c", source: source)
        #expect(baseText.contains(#""movl $$39, %eax\0A\09movq $$ukl_entry_SYSCALL_64, %rcx\0A\09call *%rcx""#))
        let (_, report) = try rewritten(.bypass, fixture: "twostep.c", source: source)
        #expect(report.sites.count == 1)
        #expect(report.sites[0].how == .entry)
        #expect(report.sites[0].note == "kept the entry: the asm does more than 'syscall'")
    }

    @Test func cliWritesVerifiedBitcodeAndAReport() throws {
        let input = try Fixtures.bitcode("raw_syscalls.c")
        let dir = try Fixtures.scratch()
        let output = dir.appendingPathComponent("out.bc").path
        let report = dir.appendingPathComponent("report.json").path
        let result = try Fixtures.ukl("apply", "--level", "bypass", input, "-o", output, "--report", report)
        #expect(result.status == 0, "\(result.stderr)")
        let after = try Fixtures.ukl("inspect", output)
        #expect(after.stdout.contains("0 syscall sites"))
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
        #expect(json["level"] as? String == "bypass")
        #expect((json["sites"] as? [Any])?.count == 6)
        let verify = try Fixtures.run(Toolchain.tool("opt"), ["-passes=verify", "-disable-output", output])
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}
