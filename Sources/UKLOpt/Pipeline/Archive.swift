import Foundation

/// A member of a Unix `ar` archive. Thin archives (`!<thin>`, what the
/// kernel's vmlinux.a and lib.a are) only name their members' files.
struct ArchiveMember {
    let name: String
    let contents: Data
    /// The member's own file, for members of thin archives.
    let file: String?
}

enum Archive {
    /// Reads every member (symbol and name tables excluded), in archive order.
    static func members(of path: String) throws -> [ArchiveMember] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UKLError.input(file: path, reason: "cannot read archive")
        }
        return try members(in: data, path: path)
    }

    /// Whether `data` is an ar archive, regular or thin.
    static func isArchive(_ data: Data) -> Bool {
        data.starts(with: Array("!<arch>\n".utf8)) || data.starts(with: Array("!<thin>\n".utf8))
    }

    /// The members of the archive `data`, read from `path` (thin archives'
    /// members are found relative to it).
    static func members(in data: Data, path: String) throws -> [ArchiveMember] {
        guard isArchive(data) else { throw UKLError.input(file: path, reason: "not an ar archive") }
        let thin = data.starts(with: Array("!<thin>\n".utf8))
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var members: [ArchiveMember] = []
        var longNames = Data()
        var offset = 8
        while offset + 60 <= data.count {
            let header = data.subdata(in: offset..<offset + 60)
            let rawName = String(decoding: header.prefix(16), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let size = Int(String(decoding: header[48..<58], as: UTF8.self).trimmingCharacters(in: .whitespaces)),
                size >= 0
            else { throw UKLError.input(file: path, reason: "corrupt member header at offset \(offset)") }
            let body = offset + 60
            let isTable = rawName == "/" || rawName == "/SYM64/" || rawName == "//"
            // A thin archive stores only its tables; members live in their own files.
            let stored = !thin || isTable
            if stored && body + size > data.count {
                throw UKLError.input(file: path, reason: "truncated member at offset \(offset)")
            }
            if rawName == "//" {
                longNames = data.subdata(in: body..<body + size)
            } else if !isTable {
                let name = try memberName(rawName, longNames: longNames, archive: path)
                let contents: Data
                var file: String?
                if stored {
                    contents = data.subdata(in: body..<body + size)
                } else {
                    file = name.hasPrefix("/") ? name : directory.appendingPathComponent(name).path
                    guard let bytes = FileManager.default.contents(atPath: file!) else {
                        throw UKLError.input(file: path, reason: "member \(name) is missing")
                    }
                    contents = bytes
                }
                members.append(ArchiveMember(name: name, contents: contents, file: file))
            }
            offset = body + (stored ? size + (size & 1) : 0)
        }
        return members
    }

    /// GNU names: `name/` inline, `/123` an offset into the `//` table.
    private static func memberName(_ raw: String, longNames: Data, archive: String) throws -> String {
        if raw.hasPrefix("/"), let start = Int(raw.dropFirst()) {
            guard longNames.indices.contains(longNames.startIndex + start) else {
                throw UKLError.input(file: archive, reason: "bad long member name \(raw)")
            }
            let rest = longNames[(longNames.startIndex + start)...]
            let end = rest.firstIndex(of: 0x0A) ?? rest.endIndex
            var name = String(decoding: rest[..<end], as: UTF8.self)
            if name.hasSuffix("/") { name.removeLast() }
            return name
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }
}

extension Data {
    /// LLVM bitcode, bare or in its wrapper.
    var isBitcode: Bool { IRFormat(self) == .bitcode }
}
