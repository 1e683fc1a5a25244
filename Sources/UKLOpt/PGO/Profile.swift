internal import CLLVMBridge
import Foundation

/// An IR-level profile in LLVM's indexed format (what `llvm-profdata merge`
/// writes and `llvm-profdata show` and PGO use read), written from the
/// counters read back from a guest.
public enum Profile {
    /// A function's record, as read back.
    public struct Record: Sendable, Equatable {
        public var name: String
        public var hash: UInt64
        public var counts: [UInt64]
        /// Calls counted at its indirect-call sites, all targets together.
        public var indirectCalls: UInt64
    }

    /// What a profile holds, for reports.
    public struct Summary: Codable, Sendable, Equatable {
        public var functions: Int
        public var counters: Int
        /// The largest function entry count, and whose.
        public var maxEntryCount: UInt64
        public var hottest: String
        public var indirectCalls: UInt64

        enum CodingKeys: String, CodingKey {
            case functions, counters, hottest
            case maxEntryCount = "max_entry_count"
            case indirectCalls = "indirect_calls"
        }

        init(_ records: [Record]) {
            functions = records.count
            counters = records.reduce(0) { $0 + $1.counts.count }
            let hottest = records.max { ($0.counts.first ?? 0, $1.name) < ($1.counts.first ?? 0, $0.name) }
            maxEntryCount = hottest?.counts.first ?? 0
            self.hottest = hottest?.name ?? ""
            indirectCalls = records.reduce(0) { $0 + $1.indirectCalls }
        }
    }

    /// Writes the profile for the instrumented image laid out as `layout`,
    /// from its counter array and value slots as read from the guest.
    /// `symbols` names functions by address (the image's System.map), for
    /// the targets of indirect calls. Functions never run are left out.
    public static func write(
        layout: ProfileLayout, counters: [UInt64], slots: [UInt64], symbols: [UInt64: String], to path: String
    ) throws {
        guard counters.count == layout.counterCount, slots.count == layout.siteCount * layout.slotsPerSite * 2 else {
            throw UKLError.tool("the counters read back do not match the image's layout")
        }
        let writer = ukl_profile_writer_create()!
        defer { ukl_profile_writer_dispose(writer) }
        for function in layout.functions {
            var targetsPerSite: [UInt32] = []
            var names: [String] = []
            var counts: [UInt64] = []
            for site in function.firstSite..<(function.firstSite + function.sites) {
                var found: UInt32 = 0
                for slot in 0..<layout.slotsPerSite {
                    let at = (site * layout.slotsPerSite + slot) * 2
                    guard slots[at] != 0, slots[at + 1] != 0 else { continue }
                    // A target the map does not name (code outside any
                    // symbol) still counts under its address.
                    let symbol = symbols[slots[at]] ?? String(slots[at], radix: 16)
                    names.append(layout.localNames[symbol] ?? symbol)
                    counts.append(slots[at + 1])
                    found += 1
                }
                targetsPerSite.append(found)
            }
            let functionCounters = Array(counters[function.firstCounter..<(function.firstCounter + function.counters)])
            withCStrings(names) { targetNames in
                ukl_profile_writer_add(
                    writer, function.name, function.hash, functionCounters, functionCounters.count,
                    UInt32(function.sites), targetsPerSite, targetNames, counts, UInt32(function.memopSites))
            }
        }
        try writeAtomically(to: path) { temporary in
            var error: UnsafeMutablePointer<CChar>?
            if ukl_profile_writer_write(writer, temporary, &error) != 0 {
                throw UKLError.input(file: path, reason: "cannot write the profile: \(takeCString(error))")
            }
        }
    }

    /// The records of the profile at `path` (indexed, raw or text), refusing
    /// one that is not an IR-level profile.
    public static func read(_ path: String) throws -> [Record] {
        _ = try readInput(path)
        final class Sink { var records: [Record] = [] }
        let sink = Sink()
        var irLevel: Int32 = 0
        var error: UnsafeMutablePointer<CChar>?
        let failed = ukl_profile_read(
            path,
            { context, name, hash, counts, count, indirectCalls in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                sink.records.append(
                    Record(
                        name: String(cString: name!), hash: hash,
                        counts: Array(UnsafeBufferPointer(start: counts, count: count)),
                        indirectCalls: indirectCalls))
            }, Unmanaged.passUnretained(sink).toOpaque(), &irLevel, &error)
        if failed != 0 {
            throw UKLError.input(file: path, reason: "not a profile LLVM 19 reads: \(takeCString(error))")
        }
        if irLevel == 0 {
            throw UKLError.input(
                file: path, reason: "a front-end (clang -fprofile-instr-generate) profile; PGO here takes IR-level ones"
            )
        }
        return sink.records
    }

    public static func summary(_ path: String) throws -> Summary { Summary(try read(path)) }

    /// Functions by address from a System.map: code symbols only (t, T, w, W).
    static func functionSymbols(systemMap: String) -> [UInt64: String] {
        var symbols: [UInt64: String] = [:]
        for line in systemMap.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, "tTwW".contains(fields[1]), let address = UInt64(fields[0], radix: 16) else {
                continue
            }
            // The first name at an address: an alias's name comes after its target's in System.map order.
            if symbols[address] == nil { symbols[address] = String(fields[2]) }
        }
        return symbols
    }

    /// The address of `symbol` in a System.map.
    static func address(of symbol: String, systemMap: String) -> UInt64? {
        for line in systemMap.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 3, fields[2] == symbol { return UInt64(fields[0], radix: 16) }
        }
        return nil
    }
}

/// Copies and frees a malloc'ed C string.
func takeCString(_ string: UnsafeMutablePointer<CChar>?) -> String {
    guard let string else { return "" }
    defer { free(string) }
    return String(cString: string)
}

/// Calls `body` with `strings` as an array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { UnsafePointer($0) })
}
