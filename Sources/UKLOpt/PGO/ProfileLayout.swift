import Foundation

/// Where an instrumented image keeps its counters: what `Instrumentation`
/// laid out and `ProfileCollector` reads back from the guest. The kernel has
/// no profiling runtime, so the tool lowers the instrumentation itself into
/// two arrays with global symbols, found in the image's System.map.
public struct ProfileLayout: Codable, Sendable, Equatable {
    /// An instrumented function: its PGO name (`file;name` for a local
    /// function), control-flow hash, and where its counters and value sites are.
    public struct Function: Codable, Sendable, Equatable {
        public var name: String
        public var hash: UInt64
        /// Index of its first counter in the counter array, and how many.
        public var firstCounter: Int
        public var counters: Int
        /// Index of its first indirect-call site in the value array, and how many.
        public var firstSite: Int
        public var sites: Int
        /// Memory-operation size sites: recorded (a profile must have the
        /// count the use pass expects) but not measured.
        public var memopSites: Int

        enum CodingKeys: String, CodingKey {
            case name, hash, counters, sites
            case firstCounter = "first_counter"
            case firstSite = "first_site"
            case memopSites = "memop_sites"
        }
    }

    public var functions: [Function]
    public var counterCount: Int
    public var siteCount: Int
    /// Targets remembered per indirect-call site (a target seen after they
    /// are taken is not counted).
    public var slotsPerSite: Int
    /// PGO names of local functions by their symbol names, for naming the
    /// indirect-call targets found in the guest.
    public var localNames: [String: String]

    public static let counterSymbol = "__ukl_pgo_counters"
    public static let valueSymbol = "__ukl_pgo_values"
    /// The file an instrumented image keeps its layout in.
    public static let fileName = "pgo-layout.json"

    enum CodingKeys: String, CodingKey {
        case functions
        case counterCount = "counter_count"
        case siteCount = "site_count"
        case slotsPerSite = "slots_per_site"
        case localNames = "local_names"
    }

    /// Bytes of each array in guest memory: 8 per counter, 16 per slot
    /// (target address, count).
    public var counterBytes: Int { counterCount * 8 }
    public var valueBytes: Int { siteCount * slotsPerSite * 16 }

    public static func load(_ imageDirectory: String) throws -> ProfileLayout {
        let path = URL(fileURLWithPath: imageDirectory).appendingPathComponent(fileName).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UKLError.input(
                file: imageDirectory,
                reason: "no \(fileName): not an instrumented image (build one with 'ukl-opt pgo instrument')")
        }
        do {
            return try JSONDecoder().decode(ProfileLayout.self, from: data)
        } catch {
            throw UKLError.input(file: path, reason: "not a profile layout: \(error.localizedDescription)")
        }
    }
}
