internal import CLLVMBridge

/// What application bitcode must have been compiled with to be linked into the
/// kernel's, in one place. Each rule names the clang option that fixes it, so
/// the user is never left with LLVM's "conflicting values" message.
enum AppABI {
    struct FlagRule {
        let key: String
        /// Required value; nil means the flag must be absent.
        let value: UInt64?
        let option: String
        let why: String
    }

    static let flags: [FlagRule] = [
        FlagRule(key: "wchar_size", value: 2, option: "-fshort-wchar", why: "the kernel builds with a 2-byte wchar_t"),
        FlagRule(key: "Code Model", value: 2, option: "-mcmodel=kernel", why: "the code runs in the kernel's top 2 GiB"),
        FlagRule(key: "PIC Level", value: nil, option: "-fno-pic", why: "the kernel is not position independent"),
        FlagRule(key: "PIE Level", value: nil, option: "-fno-pie", why: "the kernel is not position independent"),
    ]

    /// Throws the first violation, naming the file and the option to add.
    static func check(_ module: Module) throws {
        for rule in flags {
            let actual = module.flag(rule.key)
            if actual != rule.value {
                let found = actual.map { "\($0)" } ?? "absent"
                let wanted = rule.value.map { "\($0)" } ?? "absent"
                throw UKLError.input(
                    file: module.origin,
                    reason: "module flag '\(rule.key)' is \(found), the kernel needs \(wanted) (\(rule.why)); compile with \(rule.option)")
            }
        }
        // In ring 0 an interrupt pushes its frame on the current stack, so no
        // application function may keep data below the stack pointer.
        for function in module.functions where !function.isDeclaration {
            try requireNoRedZone(function, in: module)
        }
    }

    /// A function that may keep live data below the stack pointer cannot run
    /// where something else pushes there (interrupts in ring 0, an asm `call`).
    static func requireNoRedZone(_ function: LLVMValueRef, in module: Module) throws {
        if !module.context.hasFunctionAttribute(function, "noredzone") {
            throw UKLError.input(file: module.origin,
                                 reason: "function '\(function.name)' may use the red zone; compile with -mno-red-zone")
        }
    }

    /// The clang options that satisfy every rule.
    static var clangOptions: [String] {
        flags.map(\.option) + ["-mno-red-zone"]
    }
}
