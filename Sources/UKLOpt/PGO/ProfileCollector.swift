import Foundation

/// Gets a profile out of an instrumented image: boots it, lets the
/// application run to its end, and reads the counter arrays from the
/// paused guest's memory (Guest.MemoryDump) before writing them as an
/// indexed profile. The guest stops at the same instruction every run, so
/// a profile is a function of the image and its arguments alone.
public enum ProfileCollector {
    public struct Collection: Sendable {
        /// The training run: what the application printed, its measurements.
        public var run: Guest.Result
        public var summary: Profile.Summary
    }

    public static func collect(
        image: String, arguments: [String] = [], timeout: Double = 300, forwards: [Guest.PortForward] = [],
        to output: String
    ) throws -> Collection {
        let layout = try ProfileLayout.load(image)
        let mapPath = URL(fileURLWithPath: image).appendingPathComponent("System.map").path
        guard let systemMap = try? String(contentsOfFile: mapPath, encoding: .utf8) else {
            throw UKLError.input(file: image, reason: "no System.map: rebuild it with 'ukl-opt pgo instrument'")
        }
        guard let counters = Profile.address(of: ProfileLayout.counterSymbol, systemMap: systemMap),
            let values = Profile.address(of: ProfileLayout.valueSymbol, systemMap: systemMap)
        else {
            throw UKLError.input(file: mapPath, reason: "no \(ProfileLayout.counterSymbol): not an instrumented image")
        }
        let work = try Scratch.directory("profile")
        defer { try? FileManager.default.removeItem(at: work) }
        let counterFile = work.appendingPathComponent("counters").path
        let valueFile = work.appendingPathComponent("values").path
        let run = try Guest.boot(
            image, arguments: arguments, timeout: timeout, forwards: forwards,
            dumps: [
                .init(address: counters, size: max(layout.counterBytes, 8), file: counterFile),
                .init(address: values, size: max(layout.valueBytes, 16), file: valueFile),
            ])
        if let failure = run.failure {
            throw UKLError.input(file: image, reason: "the training run failed: \(failure)")
        }
        try Profile.write(
            layout: layout, counters: try words(counterFile, count: layout.counterCount),
            slots: try words(valueFile, count: layout.siteCount * layout.slotsPerSite * 2),
            symbols: Profile.functionSymbols(systemMap: systemMap), to: output)
        return Collection(run: run, summary: try Profile.summary(output))
    }

    /// The first `count` little-endian 64-bit words of `file`.
    private static func words(_ file: String, count: Int) throws -> [UInt64] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        guard data.count >= count * 8 else {
            throw UKLError.tool("\(file) holds \(data.count) bytes, not \(count * 8)")
        }
        return (0..<count).map { index in
            data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        }
    }
}
