import Foundation
import Testing

@testable import UKLOpt

/// Fixtures are C programs under Tests/Fixtures, compiled with
/// clang-19 when a test runs.
enum Fixtures {
    /// The package root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("Tests/Fixtures")

    /// What an application linked into the kernel is compiled with.
    /// (Freestanding IR fixtures keep the kernel's 2-byte wchar_t.)
    static let appFlags = ["-O2", "-ffreestanding"] + AppABI.clangOptions + ["-fshort-wchar"]

    /// Reads the tool's JSON, whose keys are snake_case, into camelCase properties.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// The Swift toolchain's own clang (LLVM 21): the one next to `swift` on PATH.
    static var swiftToolchainClang: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directory = path.split(separator: ":").first {
            FileManager.default.isExecutableFile(atPath: "\($0)/swift")
                && FileManager.default.isExecutableFile(atPath: "\($0)/clang")
        }
        return directory.map { "\($0)/clang" } ?? "clang"
    }

    /// A fresh directory for one test's files.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ukl-opt-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Compiles `name` (a file in Fixtures, or C source text when `source` is
    /// given) to bitcode with `compiler` and returns the .bc path.
    static func bitcode(
        _ name: String, source: String? = nil, flags: [String] = appFlags,
        compiler: String = Toolchain.clang
    ) throws -> String {
        let dir = try scratch()
        var input = directory.appendingPathComponent(name).path
        if let source {
            input = dir.appendingPathComponent(name).path
            try source.write(toFile: input, atomically: true, encoding: .utf8)
        }
        let output = dir.appendingPathComponent((name as NSString).deletingPathExtension + ".bc").path
        let result = try run(compiler, flags + ["-c", "-emit-llvm", input, "-o", output])
        guard result.status == 0 else {
            throw FixtureError(message: "\(compiler) failed on \(name): \(result.stderr)")
        }
        return output
    }

    struct FixtureError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a program found on PATH (or at an absolute path).
    static func run(
        _ program: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        // stderr goes to a file so a chatty child never blocks on a full pipe.
        let errFile = try scratch().appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = (try? Data(contentsOf: errFile)) ?? Data()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The ukl-opt executable built next to the tests.
    static var tool: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ukl-opt")
                .path,
            root.appendingPathComponent(".build/debug/ukl-opt").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A libc program: the fixture `name` compiled and linked by `ukl-opt cc`.
    static func cc(_ name: String) throws -> String {
        let output = try scratch().appendingPathComponent((name as NSString).deletingPathExtension + ".bc").path
        let result = try ukl("cc", directory.appendingPathComponent(name).path, "-o", output)
        guard result.status == 0 else { throw FixtureError(message: "ukl-opt cc failed on \(name): \(result.stderr)") }
        return output
    }

    /// The fixture project `name` built with `make CC="ukl-opt cc"` in a copy; returns its app.bc.
    static func make(_ name: String) throws -> String {
        let copy = try scratch().appendingPathComponent(name)
        try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: copy)
        let result = try run("make", ["-C", copy.path, "CC=\(tool) cc"])
        guard result.status == 0 else { throw FixtureError(message: "make failed in \(name): \(result.stderr)") }
        return copy.appendingPathComponent("app.bc").path
    }

    /// Runs ukl-opt with `arguments`.
    static func ukl(_ arguments: String...) throws -> Result {
        try run(tool, arguments)
    }

    static func ukl(_ arguments: [String]) throws -> Result {
        try run(tool, arguments)
    }
}
