internal import CLLVMBridge
import Foundation

/// A bootable image: a directory with `bzImage`, `initramfs.cpio` and
/// `image.json` (what went into it).
public struct Image: Codable, Sendable {
    public var level: Level
    public var app: String
    /// The programs started beside the application, by their names in `/sidecars`.
    public var sidecars: [String]
    public var imageBytes: Int
    public var sitesRewritten: Int
    /// Rewritten sites by where they came from: app, runtime, libc, libc-asm.
    public var sitesByOrigin: [String: Int]
    public var inlined: Int
    public var buildSeconds: Double
    /// What PGO did in its build: instrumented it, or optimized it with a profile.
    public var pgo: PGOReport?

    enum CodingKeys: String, CodingKey {
        case level, app, inlined, sidecars, pgo
        case imageBytes = "image_bytes"
        case sitesRewritten = "sites_rewritten"
        case sitesByOrigin = "sites_by_origin"
        case buildSeconds = "build_seconds"
    }

    public static func load(_ directory: String) throws -> Image {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("image.json").path
        guard let data = FileManager.default.contents(atPath: path),
            let image = try? JSONDecoder().decode(Image.self, from: data)
        else { throw UKLError.input(file: directory, reason: "not an image built by 'ukl-opt build'") }
        return image
    }
}

/// Builds an image at a level. Its initramfs has the image's `/init`
/// (initramfs/init.c), which starts `/app` and every program in `/sidecars`:
/// at `linux` `/app` is the application as an ordinary static program on the
/// UKL kernel; at the UKL levels its syscall sites are rewritten, it is linked
/// into the kernel with `lto`, and `/app` is the `\177UKL` file whose
/// execution starts it (named by `ukl.app=/app` on the kernel command line).
public enum ImageBuilder {
    /// Builds the image for `level` and `spec` into the directory `output`.
    public static func build(
        level: Level, app spec: String, sidecars: [String] = [], pgo: PGOMode? = nil, output: String,
        progress: @escaping (String) -> Void = { _ in }
    ) throws -> Image {
        let (cached, image, _) = try cachedImage(
            level: level, app: spec, sidecars: sidecars, pgo: pgo, progress: progress)
        let staging = output + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        do {
            try FileManager.default.copyItem(atPath: cached, toPath: staging)
            try? FileManager.default.removeItem(atPath: output)
            try FileManager.default.moveItem(atPath: staging, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw UKLError.input(file: output, reason: "cannot write the image: \(error.localizedDescription)")
        }
        return image
    }

    /// What the kernel stage of an image made: at `linux` the kernel as
    /// built; at a UKL level the kernel with the rewritten application
    /// linked in. Cached apart from the initramfs, so images that differ only
    /// in their sidecars or init share one LTO.
    struct KernelStage: Codable {
        var sitesRewritten = 0
        var sitesByOrigin: [String: Int] = [:]
        var inlined = 0
        var buildSeconds = 0.0
        var pgo: PGOReport?

        enum CodingKeys: String, CodingKey {
            case inlined, pgo
            case sitesRewritten = "sites_rewritten"
            case sitesByOrigin = "sites_by_origin"
            case buildSeconds = "build_seconds"
        }
    }

    /// The image for `level` and `spec` in the image cache, built first unless
    /// an image from the very same inputs is there: the kernel build, the
    /// application's bitcode, the sidecars, the level, the data files a build
    /// reads and this ukl-opt binary. `reused` says which.
    public static func cachedImage(
        level: Level, app spec: String, sidecars: [String] = [], pgo: PGOMode? = nil,
        progress: @escaping (String) -> Void = { _ in }
    )
        throws -> (directory: String, image: Image, reused: Bool)
    {
        let started = Date()
        if pgo != nil && level == .linux {
            throw UKLError.input(
                file: "--level linux",
                reason: "PGO here profiles the combined application + kernel module, which only the UKL levels build")
        }
        if case .use(let profile, _)? = pgo { _ = try Profile.read(profile) }
        // Bad sidecars are reported before minutes of building.
        for sidecar in sidecars {
            if sidecar.hasSuffix(".c") {
                _ = try readInput(sidecar)
            } else {
                try Programs.checkStaticExecutable(sidecar)
            }
        }
        let sidecarNames = sidecars.map(Programs.sidecarName)
        if let twice = Dictionary(grouping: sidecarNames, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw UKLError.input(file: twice, reason: "two sidecars would both be /sidecars/\(twice)")
        }
        // An unwritable cache is named now, not by the kernel build's script.
        _ = try Cache.directory("images/kernels")
        progress("\(level.rawValue): kernel (scripts/kernel-build.sh)")
        // A first build takes minutes: its progress (step, elapsed time) shows.
        let kernel = try KernelBuild.ensure(progress: { progress("\(level.rawValue): \($0)") })
        let work = try Scratch.directory("build")
        defer { try? FileManager.default.removeItem(at: work) }
        progress("\(level.rawValue): compiling \(spec)")
        let bitcode = try AppBuilder.bitcode(spec, in: work, progress: { progress("\(level.rawValue): \($0)") })
        // A bundled workload's programs and files go into the image too.
        let workload = try Workload.named(spec)
        let built = try workload?.built()
        let programs = built?.programs() ?? []
        let extraFiles = try built?.files() ?? []
        let extras: [(path: String, file: String)] = programs + extraFiles
        let defaultArguments = workload?.arguments ?? []

        let (kernelDirectory, stage, kernelKey) = try cachedKernelStage(
            level: level, name: AppBuilder.name(of: spec), kernel: kernel, bitcode: bitcode, pgo: pgo, work: work,
            progress: progress)
        let inputs = try [
            "kernel-shortcuts/ukl-init", "scripts/make-initramfs.sh", "initramfs/init.c", "apps/runtime/start.c",
        ].map { try DataDirectory.file($0).path }
        // The application itself too: at linux it is in the initramfs, and
        // the kernel stage's key leaves it out.
        let key = try Cache.key(
            strings: [kernelKey, Cache.toolIdentity, AppBuilder.name(of: spec)] + sidecarNames
                + extras.map(\.path) + ["arguments:"] + defaultArguments,
            files: [bitcode] + inputs + sidecars + extras.map(\.file))
        let directory = try Cache.directory("images").appendingPathComponent("\(level.rawValue)-\(key)")
        let scripts = try DataDirectory.file("scripts")
        let load = { try? Image.load(directory.path) }
        let (image, reused) = try entry(directory, level: level, load: load) { staging in
            for name in ["bzImage", "System.map", "rewrite.json", "lto.json", ProfileLayout.fileName] {
                let file = URL(fileURLWithPath: kernelDirectory).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: file.path) {
                    try FileManager.default.copyItem(at: file, to: staging.appendingPathComponent(name))
                }
            }
            progress("\(level.rawValue): building /init and the sidecars")
            let initFile = work.appendingPathComponent("init").path
            try Programs.initProgram(to: initFile, progress: { progress("\(level.rawValue): init: \($0)") })
            var files = ["/init=\(initFile)"]
            for (sidecar, name) in zip(sidecars, sidecarNames) {
                let file = work.appendingPathComponent("sidecar-\(name)").path
                try Programs.sidecar(sidecar, to: file, progress: { progress("\(level.rawValue): \(name): \($0)") })
                files.append("/sidecars/\(name)=\(file)")
            }
            for (index, (path, bitcode)) in programs.enumerated() {
                let file = work.appendingPathComponent("program-\(index)").path
                progress("\(level.rawValue): linking \(path) as a static program")
                try Programs.link(bitcode, to: file)
                files.append("\(path)=\(file)")
            }
            files += extraFiles.map { "\($0.path)=\($0.file)" }
            if !defaultArguments.isEmpty {
                let file = work.appendingPathComponent("app-arguments")
                try Data(defaultArguments.map { $0 + "\n" }.joined().utf8).write(to: file)
                files.append("/etc/app-arguments=\(file.path)")
            }
            let appFile: String
            if level == .linux {
                progress("linux: linking the application as a static program")
                appFile = work.appendingPathComponent("app").path
                try Programs.link(bitcode, to: appFile)
            } else {
                appFile = try DataDirectory.file("kernel-shortcuts/ukl-init").path
            }
            try Shell.run(
                scripts.appendingPathComponent("make-initramfs.sh").path,
                [kernel, staging.appendingPathComponent("initramfs.cpio").path] + files + ["/app=\(appFile)"])
            let bytes =
                try
                (FileManager.default.attributesOfItem(atPath: staging.appendingPathComponent("bzImage").path)[.size]
                as? Int) ?? 0
            let image = Image(
                level: level, app: AppBuilder.name(of: spec), sidecars: sidecarNames, imageBytes: bytes,
                sitesRewritten: stage.sitesRewritten, sitesByOrigin: stage.sitesByOrigin, inlined: stage.inlined,
                buildSeconds: ((stage.buildSeconds + Date().timeIntervalSince(started)) * 10).rounded() / 10,
                pgo: stage.pgo)
            try encodeJSON(image).write(to: staging.appendingPathComponent("image.json"))
            return image
        }
        if reused { progress("\(level.rawValue): image unchanged, reusing \(directory.path)") }
        return (directory.path, image, reused)
    }

    /// The kernel stage for `level` and the application `bitcode`, from the
    /// cache (images/kernels) or built: at a UKL level the sites rewritten,
    /// `lto` with the kernel's bitcode and the kernel relinked around it.
    static func cachedKernelStage(
        level: Level, name: String, kernel: String, bitcode: String, pgo: PGOMode? = nil, work: URL,
        progress: @escaping (String) -> Void
    ) throws -> (directory: String, stage: KernelStage, key: String) {
        let started = Date()
        let inputs = try [
            "kernel-shortcuts/contract.json", "kernel-shortcuts/syscall_64.txt", "passes/lto.pipeline",
            "scripts/kernel-env.sh", "scripts/relink-bzimage.sh",
        ].map { try DataDirectory.file($0).path }
        // At linux the kernel does not depend on the application; what the
        // stage holds (bzImage, System.map, ...) depends on the tool at every level.
        let appInputs = level == .linux ? [] : [bitcode] + inputs
        // A profile is keyed by its contents, not its path.
        let (pgoKey, pgoFiles): ([String], [String]) =
            switch pgo {
            case nil: ([], [])
            case .instrument: (["pgo:instrument"], [])
            case .use(let profile, let allowStale): (["pgo:use", "allow-stale:\(allowStale)"], [profile])
            }
        let key = try Cache.key(
            strings: [kernel, level.rawValue, Cache.toolIdentity] + (level == .linux ? [] : [name]) + pgoKey,
            files: [kernel + "/arch/x86/boot/bzImage"] + appInputs + pgoFiles)
        let directory = try Cache.directory("images/kernels").appendingPathComponent("\(level.rawValue)-\(key)")
        let record = directory.appendingPathComponent("kernel.json")
        let load = {
            FileManager.default.contents(atPath: record.path).flatMap {
                try? JSONDecoder().decode(KernelStage.self, from: $0)
            }
        }
        let (stage, reused) = try entry(directory, level: level, load: load) { staging in
            var stage = KernelStage()
            let bzImage = staging.appendingPathComponent("bzImage").path
            if level == .linux {
                try FileManager.default.copyItem(atPath: kernel + "/arch/x86/boot/bzImage", toPath: bzImage)
                try FileManager.default.copyItem(
                    atPath: kernel + "/System.map", toPath: staging.appendingPathComponent("System.map").path)
            } else {
                progress("\(level.rawValue): rewriting syscall sites")
                let module = try Module.load(bitcode)
                let report = try Rewriter.load().rewrite(module, level: level)
                stage.sitesRewritten = report.sites.count
                stage.sitesByOrigin = Dictionary(grouping: report.sites, by: \.site.origin).mapValues(\.count)
                let object = work.appendingPathComponent("vmlinux.o").path
                // The rewritten module goes on to LTO in memory.
                let lto = try LTO.run(
                    .init(
                        kernel: kernel, apps: [bitcode], output: object,
                        pipeline: try LTO.pipeline(named: "lto"),
                        progress: { progress("\(level.rawValue): lto: \($0)") },
                        // Not progress: shown under --quiet too, and before a failure.
                        warning: { Warnings.standardError("\(level.rawValue): lto: \($0)") }, pgo: pgo),
                    app: module)
                stage.inlined = lto.inlined
                stage.pgo = lto.pgo
                if let layout = lto.layout {
                    try encodeJSON(layout).write(to: staging.appendingPathComponent(ProfileLayout.fileName))
                }
                try encodeJSON(report).write(to: staging.appendingPathComponent("rewrite.json"))
                try encodeJSON(lto).write(to: staging.appendingPathComponent("lto.json"))
                progress("\(level.rawValue): relinking the kernel")
                try Shell.run(
                    try DataDirectory.file("scripts/relink-bzimage.sh").path, [kernel, object, bzImage])
            }
            stage.buildSeconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
            try encodeJSON(stage).write(to: staging.appendingPathComponent("kernel.json"))
            return stage
        }
        if reused { progress("\(level.rawValue): kernel with the application unchanged, reusing \(directory.path)") }
        return (directory.path, stage, key)
    }

    /// The cache entry `directory`: `load`ed when it is there, else built by
    /// `build` (through `staged`). One process at a time looks at or builds
    /// an entry (a lock file beside it), so two runs started together build
    /// it once. A reused entry's mtime records its use, for prune().
    static func entry<T>(
        _ directory: URL, level: Level, load: () -> T?, build: (URL) throws -> T
    ) throws -> (value: T, reused: Bool) {
        try Cache.locked(directory.path + ".lock") {
            if let value = load() {
                try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: directory.path)
                return (value, true)
            }
            return (try staged(directory, level: level, build), false)
        }
    }

    /// Builds a cache entry: `body` fills a staging directory beside
    /// `directory` (NAME.tmp-PID), which then takes its place, so a failed or
    /// killed build never leaves a half-written entry. Old entries of the
    /// level are pruned first.
    static func staged<T>(_ directory: URL, level: Level, _ body: (URL) throws -> T) throws -> T {
        prune(directory.deletingLastPathComponent(), level: level)
        let staging = URL(fileURLWithPath: directory.path + ".tmp-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            let result = try body(staging)
            try? FileManager.default.removeItem(at: directory)
            try FileManager.default.moveItem(at: staging, to: directory)
            return result
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// Images kept per level. A changed input (app, tool, kernel) makes a new
    /// key, so old images are never used again; each is about 2 MB.
    static let keptPerLevel = 10

    /// Removes staging directories (`NAME.tmp-PID`) whose build process is
    /// gone, and all but the `keptPerLevel - 1` most recently used images of
    /// `level`, making room for the one about to be built.
    static func prune(_ directory: URL, level: Level) {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names {
            guard let range = name.range(of: ".tmp-", options: .backwards),
                let pid = Int32(name[range.upperBound...]), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? manager.removeItem(at: directory.appendingPathComponent(name))
        }
        let images = names.filter {
            $0.hasPrefix(level.rawValue + "-") && !$0.contains(".tmp-") && !$0.hasSuffix(".lock")
        }
        .map { directory.appendingPathComponent($0) }
        .map { ($0, (try? manager.attributesOfItem(atPath: $0.path)[.modificationDate] as? Date) ?? .distantPast) }
        .sorted { $0.1 > $1.1 }
        for (old, _) in images.dropFirst(keptPerLevel - 1) {
            try? manager.removeItem(at: old)
            try? manager.removeItem(atPath: old.path + ".lock")
        }
    }
}
