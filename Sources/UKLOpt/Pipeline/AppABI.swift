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
        FlagRule(
            key: "Code Model", value: 2, option: "-mcmodel=kernel", why: "the code runs in the kernel's top 2 GiB"),
        FlagRule(key: "PIC Level", value: nil, option: "-fno-pic", why: "the kernel is not position independent"),
        FlagRule(key: "PIE Level", value: nil, option: "-fno-pie", why: "the kernel is not position independent"),
    ]

    /// Module flags the kernel's bitcode sets and the application need not
    /// share: `lto` gives the application the kernel's value once its symbols
    /// are hidden, so the module linker accepts the pair. The kernel builds
    /// with a 2-byte wchar_t (-fshort-wchar); musl's wchar_t is 4 bytes, and
    /// the flag only tells the optimizer how wide the wide-string functions it
    /// knows by name are, and after hiding none of the application's carries
    /// such a name.
    static let reconciledFlags: [(key: String, value: UInt64)] = [("wchar_size", 2)]

    /// Functions code generation may call by name (for memcpy of a large
    /// struct, floor() without SSE4.1, a stack-protector failure): a linked
    /// application keeps its definitions of these visible, and at the UKL
    /// levels the kernel's definition serves when it has one.
    static let libcalls: Set<String> = {
        let math = [
            "acos", "asin", "atan", "atan2", "cbrt", "ceil", "copysign", "cos", "cosh", "exp", "exp2",
            "expm1", "fabs", "floor", "fma", "fmax", "fmin", "fmod", "frexp", "hypot", "ldexp", "log",
            "log10", "log1p", "log2", "lrint", "llrint", "lround", "llround", "modf", "nearbyint", "pow",
            "remainder", "rint", "round", "roundeven", "sin", "sincos", "sinh", "sqrt", "tan", "tanh", "trunc",
        ]
        return Set(
            math + math.map { $0 + "f" } + math.map { $0 + "l" }
                + [
                    "memcpy", "memmove", "memset", "memcmp", "bcmp", "__stack_chk_fail",
                    // Emulated TLS at the UKL levels (apps/runtime/emutls.c).
                    "__emutls_get_address",
                ])
    }()

    /// Options that contradict the kernel's ABI, with the reason, by prefix.
    static let forbiddenOptions: [(option: String, why: String)] = [
        ("-pie", "the kernel is not position independent"),
        ("-static-pie", "the kernel is not position independent"),
        ("-shared", "the application is linked into the kernel, not loaded as a shared object"),
        ("-mred-zone", "in ring 0 interrupts push onto the application's stack, below its stack pointer"),
        ("-mcmodel=", "the application runs in the kernel's top 2 GiB (-mcmodel=kernel)"),
        ("-m32", "the kernel is x86-64"),
        ("-mx32", "the kernel is x86-64"),
        ("-m16", "the kernel is x86-64"),
        ("-fsanitize=", "sanitizer runtimes are not linked into the kernel"),
    ]

    /// Options that ask for position-independent code. Libraries' own
    /// Makefiles pass them for objects that also go into a static archive
    /// (hiredis does), and a linker puts such objects into a static program
    /// as they are; the kernel's code model has no PIC form, so `ukl-opt cc`
    /// leaves them out rather than refusing the build. A position-independent
    /// *link* (`-pie`, `-shared`) is still refused.
    static let droppedOptions: Set<String> = ["-fPIC", "-fpic", "-fPIE", "-fpie"]

    /// Why `option` cannot be used for an application, or nil when it can.
    static func forbiddenOption(_ option: String) -> String? {
        if option == "-mcmodel=kernel" { return nil }
        return forbiddenOptions.first {
            option == $0.option || ($0.option.hasSuffix("=") && option.hasPrefix($0.option))
        }
        .map(\.why)
    }

    /// Throws the first violation, naming the file and the option to add.
    static func check(_ module: borrowing Module) throws {
        for rule in flags {
            let actual = module.flag(rule.key)
            if actual != rule.value {
                let found = actual.map { "\($0)" } ?? "absent"
                let wanted = rule.value.map { "\($0)" } ?? "absent"
                throw UKLError.input(
                    file: module.origin,
                    reason:
                        "module flag '\(rule.key)' is \(found), the kernel needs \(wanted) (\(rule.why)); compile with \(rule.option)"
                )
            }
        }
        // In ring 0 an interrupt pushes its frame on the current stack, so no
        // application function may keep data below the stack pointer.
        for function in module.functions where !function.isDeclaration {
            try requireNoRedZone(function, context: module.context, origin: module.origin)
        }
    }

    /// A function that may keep live data below the stack pointer cannot run
    /// where something else pushes there (interrupts in ring 0, an asm `call`).
    static func requireNoRedZone(_ function: Function, context: Context, origin: String) throws {
        if !context.hasFunctionAttribute(function, "noredzone") {
            throw UKLError.input(
                file: origin,
                reason: "function '\(function.name)' may use the red zone; compile with -mno-red-zone")
        }
    }

    /// The clang options that satisfy every rule.
    static var clangOptions: [String] {
        flags.map(\.option) + ["-mno-red-zone"]
    }

    /// Gives `module` the kernel's value of every reconciled flag.
    static func reconcileFlags(_ module: borrowing Module) {
        for (key, value) in reconciledFlags where module.flag(key) != nil {
            module.setFlag(key, value)
        }
    }
}
