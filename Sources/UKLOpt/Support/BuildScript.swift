import Foundation

/// The scripts that build what ukl-opt caches (scripts/kernel-build.sh,
/// scripts/musl-build.sh, a workload's build): each is given the cache root
/// ukl-opt uses (UKL_CACHE), prints the directory it built into as its last
/// line on stdout, and exits with status 3 when an input is the user's to
/// fix, after one line "FILE: CAUSE" (scripts/cache.sh).
enum BuildScript {
    static let badInputStatus: Int32 = 3

    static func run(
        _ relative: String, _ arguments: [String] = [], progress: @escaping (String) -> Void = { _ in }
    ) throws -> URL {
        let script = try DataDirectory.file(relative).path
        let output: String
        do {
            output = try Shell.run(
                script, arguments, environment: ["UKL_CACHE": Cache.root.path], progress: progress)
        } catch UKLError.command(_, badInputStatus, let tail) {
            throw badInput(tail) ?? UKLError.command(program: script, status: badInputStatus, tail: tail)
        }
        guard let directory = output.split(separator: "\n").last.map(String.init), !directory.isEmpty else {
            throw UKLError.tool("\(relative) printed no directory")
        }
        return URL(fileURLWithPath: directory)
    }

    /// The input error in a script's last line, "FILE: CAUSE".
    static func badInput(_ tail: String) -> UKLError? {
        guard let line = tail.split(separator: "\n").last, let colon = line.range(of: ": ") else { return nil }
        return .input(file: String(line[..<colon.lowerBound]), reason: String(line[colon.upperBound...]))
    }
}
