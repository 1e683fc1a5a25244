import Foundation
import Testing

@testable import UKLOpt

/// The contract and the kernel patches must agree: every symbol a tier may
/// call is one the patch series defines, and the syscalls that keep the full
/// entry are the same on both sides.
@Suite struct ContractTests {
    let patches: String = {
        let directory = Fixtures.root.appendingPathComponent("kernel-shortcuts/patches")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".patch") }.sorted().compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }.joined(separator: "\n")
    }()

    /// What lto names when a kernel lacks a symbol: the first level calling it.
    @Test func eachSymbolBelongsToTheFirstLevelThatCallsIt() throws {
        let contract = try Contract.load()
        #expect(contract.level(calling: "ukl_entry_SYSCALL_64") == .base)
        #expect(contract.level(calling: "ukl_bypass_getppid") == .bypass)
        #expect(contract.level(calling: "ukl_bypass_dispatch") == .bypass)
        #expect(contract.level(calling: "ukl_nss_write") == .nss)
        #expect(contract.level(calling: "ukl_tcp_read") == .shortcut)
        #expect(contract.level(calling: "tcp_sendmsg") == nil)
    }

    @Test func fullEntryListMatchesTheKernelDispatchers() throws {
        let contract = try Contract.load()
        let kernel = Set(patches.matches(of: /\+\tcase __NR_(\w+):/).map { String($0.1) })
        #expect(!kernel.isEmpty, "no ukl_needs_entry() cases found in the patches")
        for level in [Level.bypass, .nss, .shortcut] {
            #expect(contract.tiers[level]?.fullEntry == kernel, "\(level)")
        }
    }

    @Test func everyContractSymbolIsDefinedByThePatches() throws {
        let contract = try Contract.load()
        #expect(patches.contains("SYM_CODE_START(\(contract.entry))"))
        #expect(
            patches.contains("long ukl_nss##name(") && patches.contains("long ukl_bypass##name("),
            "per-syscall entries are generated from SYSCALL_DEFINE")
        for rule in contract.tiers.values {
            for symbol in [rule.dynamic].compactMap({ $0 }) + Array(rule.shortcuts.values) {
                #expect(patches.contains("+long \(symbol)("), "\(symbol)")
            }
        }
    }
}
