/// The parts of an inline-asm constraint string that matter for a syscall:
/// which call argument lands in which register, and where the result comes from.
/// Example (clang, musl-style `syscall3`):
///   `={ax},{ax},{di},{si},{dx},~{rcx},~{r11},~{memory}`
struct AsmConstraints: Equatable {
    /// Register of each call argument, in argument order (nil: memory or other).
    var argumentRegisters: [String?] = []
    /// Register of each direct output, in result order.
    var outputRegisters: [String?] = []

    /// The syscall argument registers, in order (x86-64 ABI: r10 instead of rcx).
    static let syscallArgumentRegisters = ["di", "si", "dx", "r10", "r8", "r9"]

    init(_ text: String) {
        for raw in text.split(separator: ",") {
            var code = Substring(raw)
            if code.hasPrefix("~") { continue }  // clobber: no argument
            let isOutput = code.hasPrefix("=")
            if isOutput { code = code.dropFirst() }
            let isIndirect = code.hasPrefix("*")
            code = Substring(code.drop(while: { $0 == "*" || $0 == "&" || $0 == "%" }))
            let register = Self.register(code)
            if isOutput {
                if isIndirect { argumentRegisters.append(nil) } else { outputRegisters.append(register) }
            } else if let tied = Int(code), outputRegisters.indices.contains(tied) {
                argumentRegisters.append(outputRegisters[tied])  // tied to an output: same register
            } else {
                argumentRegisters.append(register)
            }
        }
    }

    /// `{rax}`, `{eax}`, `{ax}` and the letter `a` all name the same register.
    static func register(_ code: Substring) -> String? {
        let letters: [Substring: String] = ["a": "ax", "b": "bx", "c": "cx", "d": "dx", "D": "di", "S": "si"]
        if let name = letters[code] { return name }
        guard code.hasPrefix("{"), code.hasSuffix("}") else { return nil }
        var name = code.dropFirst().dropLast().lowercased()
        if name.hasPrefix("r"), let width = name.last, "dwb".contains(width), name.count >= 3,
            name.dropFirst().dropLast().allSatisfy(\.isNumber)
        {
            name.removeLast()  // r8d -> r8, r10d -> r10
        } else if name.hasPrefix("r"), name.count == 3, !name.dropFirst().allSatisfy(\.isNumber) {
            name.removeFirst()  // rax -> ax, rdi -> di
        } else if name.hasPrefix("e"), name.count == 3 {
            name.removeFirst()  // eax -> ax
        }
        return name
    }

    /// Index of the call argument in `register`, if any.
    func argument(in register: String) -> Int? {
        argumentRegisters.firstIndex(of: register)
    }
}

/// Whether an inline-asm string executes `syscall` (as one of its statements).
func asmExecutesSyscall(_ asm: String) -> Bool {
    asmStatements(asm).contains { $0.lowercased() == "syscall" }
}

/// The global symbols an inline-asm string defines: names it both declares
/// `.globl` and places as a label. musl's cancellable syscall brackets its
/// `syscall` with such labels, and pthread_cancel refers to them from C.
func asmGlobalLabels(_ asm: String) -> Set<String> {
    var declared = Set<String>()
    var placed = Set<String>()
    for statement in asmStatements(asm) {
        let words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
        if let directive = words.first, directive == ".globl" || directive == ".global" {
            declared.formUnion(words.dropFirst().map(String.init))
        } else if statement.hasSuffix(":") {
            placed.insert(String(statement.dropLast()))
        }
    }
    return declared.intersection(placed)
}

func asmStatements(_ asm: String) -> [String] {
    asm.split(whereSeparator: { $0 == "\n" || $0 == ";" })
        .map { $0.trimmingCharacters(in: .whitespacesAndTabs) }
}

/// Replaces each `syscall` statement with `replacement`, keeping the rest.
func asmReplacingSyscall(_ asm: String, with replacement: String) -> String {
    var lines: [String] = []
    for line in asm.split(separator: "\n", omittingEmptySubsequences: false) {
        let statements = line.split(separator: ";", omittingEmptySubsequences: false).map { statement -> String in
            let trimmed = statement.trimmingCharacters(in: .whitespacesAndTabs)
            guard trimmed.lowercased() == "syscall" else { return String(statement) }
            let indent = statement.prefix { $0 == " " || $0 == "\t" }
            return indent + replacement
        }
        lines.append(statements.joined(separator: ";"))
    }
    return lines.joined(separator: "\n")
}

extension Set where Element == Character {
    fileprivate static let whitespacesAndTabs: Set<Character> = [" ", "\t", "\r"]
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: set.contains).reversed().drop(while: set.contains).reversed())
    }
}
