import Foundation

/// One x86-64 system call: its number, user-visible name, the name of its
/// SYSCALL_DEFINE (`sys_<entry>`; bypass entries are named after it) and arity.
public struct Syscall: Hashable, Codable, Sendable {
    public let number: Int
    public let name: String
    public let entry: String
    public let arity: Int
}

/// The x86-64 table of Linux 6.1, read from `kernel-shortcuts/syscall_64.txt`.
public struct SyscallTable: Sendable {
    public let byNumber: [Int: Syscall]
    public let byName: [String: Syscall]

    public static func load() throws -> SyscallTable {
        let url = try DataDirectory.file("kernel-shortcuts/syscall_64.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw UKLError.tool("cannot read \(url.path)")
        }
        return try SyscallTable(parsing: text, file: url.path)
    }

    init(parsing text: String, file: String) throws {
        var byNumber: [Int: Syscall] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            guard fields.count == 4, let number = Int(fields[0]), let arity = Int(fields[3]), (0...6).contains(arity)
            else {
                throw UKLError.input(file: "\(file):\(index + 1)", reason: "expected 'number name entry arity'")
            }
            byNumber[number] = Syscall(number: number, name: String(fields[1]), entry: String(fields[2]), arity: arity)
        }
        self.byNumber = byNumber
        self.byName = Dictionary(byNumber.values.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
