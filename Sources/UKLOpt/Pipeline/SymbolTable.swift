internal import CLLVMBridge
import Foundation

/// The global symbols an object or bitcode file defines and references.
struct ObjectSymbols {
    var defined: Set<String> = []
    /// Strong undefined references; weak ones never pull archive members.
    var undefined: Set<String> = []

    init(_ data: Data, name: String) throws {
        _ = Targets.x86  // bitcode symbols from module asm need the asm parser
        final class Box { var symbols = ObjectSymbols() }
        let box = Box()
        var error: UnsafeMutablePointer<CChar>?
        let status = data.withUnsafeBytes { raw in
            ukl_object_symbols(
                raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, name,
                { opaque, symbol, flags in
                    let box = Unmanaged<Box>.fromOpaque(opaque!).takeUnretainedValue()
                    let name = String(cString: symbol!)
                    if flags & Int32(UKL_SYM_UNDEFINED) == 0 {
                        box.symbols.defined.insert(name)
                    } else if flags & Int32(UKL_SYM_WEAK) == 0 {
                        box.symbols.undefined.insert(name)
                    }
                }, Unmanaged.passUnretained(box).toOpaque(), &error)
        }
        if status != 0 {
            let message = error.map { String(cString: $0) } ?? "unreadable symbol table"
            free(error)
            throw UKLError.input(file: name, reason: message)
        }
        self = box.symbols
    }

    /// A symbol table that only references `undefined` (to pull archive members).
    init(references undefined: Set<String>) {
        self.undefined = undefined
    }

    private init() {}
}

/// Archive semantics of `--whole-archive A --no-whole-archive --start-group L... --end-group`:
/// every member of the whole archives, plus each library member that defines a
/// symbol still undefined, until nothing more is pulled in.
func selectMembers(
    whole: [(name: String, symbols: ObjectSymbols)],
    libraries: [(name: String, symbols: ObjectSymbols)]
) -> [Int] {
    var defined = Set<String>()
    var undefined = Set<String>()
    for member in whole {
        defined.formUnion(member.symbols.defined)
        undefined.formUnion(member.symbols.undefined)
    }
    var chosen: [Int] = []
    var taken = Set<Int>()
    var changed = true
    while changed {
        changed = false
        for (index, member) in libraries.enumerated() where !taken.contains(index) {
            let wanted = member.symbols.defined.contains { undefined.contains($0) && !defined.contains($0) }
            guard wanted else { continue }
            taken.insert(index)
            chosen.append(index)
            defined.formUnion(member.symbols.defined)
            undefined.formUnion(member.symbols.undefined)
            changed = true
        }
    }
    return chosen.sorted()
}
