internal import CLLVMBridge
import Foundation

/// Owns one LLVM module, and keeps its context alive. Not copyable: one
/// owner at a time, and linking a module into another consumes it (`Linker`),
/// so a module linked away cannot be used by mistake.
public struct Module: ~Copyable {
    private let owned: OwnedModule
    let context: Context
    /// Where it was read from, for messages.
    public let origin: String

    init(context: Context, ref: LLVMModuleRef, origin: String) {
        owned = OwnedModule(ref: ref, context: context)
        self.context = context
        self.origin = origin
    }

    var handle: LLVMModuleRef { owned.ref }

    /// Gives up ownership of the C module (to a linker, which frees it).
    consuming func release() -> LLVMModuleRef { owned.release() }

    /// Reads LLVM bitcode or textual IR. Bad input (missing file, not IR, IR
    /// from another LLVM version, malformed) is one `UKLError.input` line.
    public static func load(_ path: String) throws -> Module {
        try load(path, context: Context())
    }

    static func load(_ path: String, context: Context, lazily: Bool = false) throws -> Module {
        return try load(try readInput(path), name: path, context: context, lazily: lazily)
    }

    static func load(_ data: Data, name: String, context: Context, lazily: Bool = false) throws -> Module {
        let format = IRFormat(data)
        guard format != .other else {
            throw UKLError.input(file: name, reason: "not LLVM bitcode or textual IR")
        }
        if format == .bitcode { try checkProducer(data, name: name) }
        let buffer: LLVMMemoryBufferRef = data.withUnsafeBytes { raw in
            LLVMCreateMemoryBufferWithMemoryRangeCopy(
                raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, name)
        }
        var module: LLVMModuleRef?
        var failed: LLVMBool
        var message = ""
        switch format {
        case .bitcode where lazily:
            // The lazy module owns the buffer and materializes bodies on demand.
            failed = LLVMGetBitcodeModuleInContext2(context.ref, buffer, &module)
        case .bitcode:
            failed = LLVMParseBitcodeInContext2(context.ref, buffer, &module)
            LLVMDisposeMemoryBuffer(buffer)
        default:
            var error: UnsafeMutablePointer<CChar>?
            failed = LLVMParseIRInContext(context.ref, buffer, &module, &error)  // takes the buffer
            // "file:1:1: error: what" plus the source line and a caret: keep the first line.
            message = takeMessage(error).split(separator: "\n").first.map(String.init) ?? ""
            if message.hasPrefix(name + ":") { message = "line " + message.dropFirst(name.count + 1) }
        }
        let errors = context.takeErrors()
        if failed != 0 || module == nil {
            let reason = errors.first ?? (message.isEmpty ? "malformed IR" : message)
            throw UKLError.input(file: name, reason: describeParseFailure(reason, bitcode: format == .bitcode))
        }
        return Module(context: context, ref: module!, origin: name)
    }

    /// The LLVM version this tool links (bitcode is backward compatible only).
    static let readerMajor = Toolchain.major

    /// Newer bitcode sometimes parses, and then means something else: reject
    /// it by its producer ("LLVM21.0.0git" from the Swift toolchain's clang).
    static func checkProducer(_ data: Data, name: String) throws {
        let producer: String? = data.withUnsafeBytes { raw in
            guard let text = ukl_bitcode_producer(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
            else { return nil }
            defer { free(text) }
            return String(cString: text)
        }
        guard let producer, producer.hasPrefix("LLVM"),
            let major = Int(producer.dropFirst(4).prefix { $0.isNumber })
        else { return }
        if major > readerMajor {
            throw UKLError.input(
                file: name,
                reason: "bitcode produced by LLVM \(producer.dropFirst(4)), newer than "
                    + "this tool's LLVM \(readerMajor); compile it with \(Toolchain.clang)")
        }
    }

    /// LLVM's reader names the producer when it fails; a producer other than
    /// LLVM 19 is the usual cause (the Swift toolchain's clang is LLVM 21).
    static func describeParseFailure(_ message: String, bitcode: Bool) -> String {
        let reader = "\(readerMajor)"
        if let range = message.range(of: "Producer: '") {
            let producer = message[range.upperBound...].prefix { $0 != "'" }
            if producer.hasPrefix("LLVM"), !producer.dropFirst(4).hasPrefix(reader + ".") {
                return "bitcode produced by \(producer) cannot be read by LLVM \(reader); "
                    + "compile it with \(Toolchain.clang) (\(message))"
            }
        }
        if bitcode && message.contains("Unknown attribute kind")
            || message.contains("Invalid record") && message.contains("Producer")
        {
            return "bitcode from a newer LLVM than \(reader)? compile it with \(Toolchain.clang) (\(message))"
        }
        return bitcode ? "malformed bitcode: \(message)" : message
    }

    /// Runs the verifier. A broken input is the user's problem; a module we
    /// broke is ours (`asInput: false`).
    public func verify(asInput: Bool = false) throws {
        var message: UnsafeMutablePointer<CChar>?
        if LLVMVerifyModule(handle, LLVMReturnStatusAction, &message) != 0 {
            let first = takeMessage(message).split(separator: "\n").first.map(String.init) ?? "broken module"
            if asInput { throw UKLError.input(file: origin, reason: "does not verify: \(first)") }
            throw UKLError.tool("rewritten module \(origin) does not verify: \(first)")
        }
        LLVMDisposeMessage(message)
    }

    /// Writes bitcode (or text IR with `text`) atomically; `-` is standard output.
    public func write(to path: String, text: Bool = false) throws {
        if text {
            let ir = takeMessage(LLVMPrintModuleToString(handle))
            try writeOutput(Data(ir.utf8), to: path)
            return
        }
        try writeOutput(bitcode, to: path)
    }

    /// The module as text IR (for tests and `-S`).
    public var text: String { takeMessage(LLVMPrintModuleToString(handle)) }

    var triple: String { String(cString: LLVMGetTarget(handle)) }

    func setTriple(_ triple: String) { LLVMSetTarget(handle, triple) }

    func flag(_ key: String) -> UInt64? {
        var value: UInt64 = 0
        return ukl_module_flag_int(handle, key, &value) != 0 ? value : nil
    }

    /// Functions (declarations too), in module order.
    var functions: [Function] {
        chain(LLVMGetFirstFunction(handle), LLVMGetNextFunction).map { Function(ref: $0) }
    }

    /// Global variables, in module order.
    var variables: [GlobalValue] {
        chain(LLVMGetFirstGlobal(handle), LLVMGetNextGlobal).map { GlobalValue(ref: $0) }
    }

    /// Aliases, in module order.
    var aliases: [GlobalValue] {
        chain(LLVMGetFirstGlobalAlias(handle), LLVMGetNextGlobalAlias).map { GlobalValue(ref: $0) }
    }

    /// Functions, variables and aliases, in that order.
    var globalValues: [GlobalValue] { functions.map(\.asGlobal) + variables + aliases }

    /// The function named `name`, declared or defined.
    func function(named name: String) -> Function? { Function(LLVMGetNamedFunction(handle, name)) }

    /// Whether a global variable named `name` exists.
    func hasVariable(named name: String) -> Bool { LLVMGetNamedGlobal(handle, name) != nil }

    /// A copy in the same context (code generation changes the IR it runs on).
    func clone() -> Module {
        Module(context: context, ref: LLVMCloneModule(handle), origin: origin)
    }

    /// The source file the module was compiled from, as clang recorded it.
    var sourceFileName: String {
        var length = 0
        guard let name = LLVMGetSourceFileName(handle, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: name, count: length), as: UTF8.self)
    }

    func setFlag(_ key: String, _ value: UInt64) {
        ukl_module_set_flag_int(handle, key, value)
    }

    /// The module as bitcode in memory.
    var bitcode: Data {
        let buffer = LLVMWriteBitcodeToMemoryBuffer(handle)!
        defer { LLVMDisposeMemoryBuffer(buffer) }
        return Data(bytes: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer))
    }
}

/// The bytes of an input file, or one input error saying why there are none.
func readInput(_ path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UKLError.input(file: path, reason: "no such file")
    }
    if isDirectory.boolValue { throw UKLError.input(file: path, reason: "is a directory") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UKLError.input(file: path, reason: "cannot read file")
    }
    return data
}

/// Links modules into one: the linker owns the destination while it works
/// and hands it back with `finish()`.
struct Linker: ~Copyable {
    private let linker: OwnedLinker
    private var destination: Module

    init(_ destination: consuming Module) {
        linker = OwnedLinker(destination: destination.handle)
        self.destination = destination
    }

    /// Links `source` in; `source` is consumed either way.
    mutating func link(_ source: consuming Module) throws {
        // LLVM links only modules of one context; two would corrupt both.
        guard source.context === destination.context else {
            throw UKLError.tool("\(source.origin) and \(destination.origin) were read into different LLVM contexts")
        }
        let origin = source.origin
        if ukl_linker_link(linker.ref, source.release()) != 0 {
            let errors = destination.context.takeErrors()
            throw UKLError.input(file: origin, reason: "cannot link: \(errors.first ?? "linker error")")
        }
    }

    /// The destination, with everything linked into it.
    consuming func finish() -> Module { destination }
}

struct OwnedLinker: ~Copyable {
    let ref: ukl_linker_ref
    init(destination: LLVMModuleRef) { ref = ukl_linker_create(destination) }
    deinit { ukl_linker_dispose(ref) }
}

/// The C module and the context it lives in: disposed in that order (a
/// context frees its modules itself when it goes first). Internal, not
/// private: a client module destroying a `Module` (a public type without a
/// deinit) names this type when built with cross-module optimization.
struct OwnedModule: ~Copyable {
    let ref: LLVMModuleRef
    private let context: Unmanaged<Context>

    init(ref: LLVMModuleRef, context: Context) {
        self.ref = ref
        self.context = Unmanaged.passRetained(context)
    }

    deinit {
        LLVMDisposeModule(ref)
        context.release()
    }

    consuming func release() -> LLVMModuleRef {
        let ref = self.ref
        context.release()
        discard self
        return ref
    }
}

/// What a file holds, by its first bytes.
enum IRFormat {
    case bitcode, text, other

    init(_ data: Data) {
        let head = [UInt8](data.prefix(4))
        if head == [0x42, 0x43, 0xC0, 0xDE] || head == [0xDE, 0xC0, 0x17, 0x0B] {
            self = .bitcode
        } else if !data.isEmpty, !data.prefix(4096).contains(where: { $0 < 0x09 }) {
            // Anything else that looks like text is for LLVM's parser to judge:
            // IR may start with a comment, a name, `%`, `$`, `#` or a tab.
            self = .text
        } else {
            self = .other
        }
    }
}
