import Foundation
import Testing

@testable import UKLOpt

/// Every JSON file the tool writes uses snake_case keys (the README says
/// so): each report type, encoded as the tool encodes it, is checked key by
/// key. Maps whose keys are data (op names, origins, pass names) are skipped.
@Suite struct JSONKeysTests {
    static let dataMaps: Set<String> = ["ops", "sites_by_origin", "seconds"]

    /// The keys of every object in `json` that are not data, with their paths.
    static func keys(_ json: Any, path: String = "") -> [String] {
        if let object = json as? [String: Any] {
            return object.flatMap { key, value in
                ["\(path).\(key)"] + (Self.dataMaps.contains(key) ? [] : keys(value, path: "\(path).\(key)"))
            }
        }
        if let array = json as? [Any] { return array.flatMap { keys($0, path: path + "[]") } }
        return []
    }

    /// The paths of keys in `data` that are not snake_case.
    static func nonSnakeCaseKeys(_ data: Data) throws -> [String] {
        try keys(JSONSerialization.jsonObject(with: data)).filter { path in
            (path.split(separator: ".").last.map(String.init) ?? path).contains(/[^a-z0-9_]/)
        }
    }

    func expectSnakeCase<T: Encodable>(_ value: T) throws {
        let data = try encodeJSON(value)
        #expect(try !Self.keys(JSONSerialization.jsonObject(with: data)).isEmpty)
        let bad = try Self.nonSnakeCaseKeys(data)
        #expect(bad.isEmpty, "\(T.self): \(bad)")
    }

    @Test func everyReportUsesSnakeCase() throws {
        let site = SyscallSite(function: "main", via: .asm, number: 39, name: "getpid", origin: "libc-asm")
        try expectSnakeCase(SiteReport(file: "app.bc", sites: [site]))
        try expectSnakeCase(
            RewriteReport(
                input: "app.bc", level: .nss,
                sites: [RewrittenSite(site: site, callee: "ukl_nss_getpid", how: .direct, note: nil)]))
        try expectSnakeCase(
            LTO.Report(
                kernelModules: 1, libraryModules: 2, objectFiles: 3, appModules: 1, pipeline: "lto<O2>",
                appToKernelCalls: 4, appToKernelCallsAfter: 1, inlined: 3, inlinedCallees: ["__x64_sys_getpid"],
                seconds: ["link": 1], warnings: ["w"]))
        try expectSnakeCase(
            ImageBuilder.KernelStage(sitesRewritten: 1, sitesByOrigin: ["libc-asm": 1], inlined: 1, buildSeconds: 1))
        let image = Image(
            level: .base, app: "hello", sidecars: ["client"], imageBytes: 1, sitesRewritten: 1,
            sitesByOrigin: ["libc": 1], inlined: 0, buildSeconds: 1)
        try expectSnakeCase(image)
        try expectSnakeCase(
            Comparison(
                app: "hello",
                levels: [
                    Comparison.Entry(
                        level: .base, pgo: false, ops: ["set.p50_us": 1], imageBytes: 1, sitesRewritten: 1,
                        sitesByOrigin: ["libc": 1], inlined: 0, buildSeconds: 1, emulatorSeconds: 1, status: 0,
                        output: "", failure: nil)
                ]))
    }

    /// A check that cannot fail is no check: camelCase is caught, data maps are not.
    @Test func camelCaseIsCaught() throws {
        struct Camel: Encodable {
            let imageBytes = 1
            let ops = ["getPpid": 1]
        }
        #expect(try Self.nonSnakeCaseKeys(encodeJSON(Camel())) == [".imageBytes"])
    }
}
