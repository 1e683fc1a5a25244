import Foundation

extension Comparison {
    /// The table `compare` prints: per-op ticks with their ratio to linux,
    /// then what each level's image is and cost to build and run.
    public var text: String {
        let columns = levels.map(\.label)
        var rows = [[""] + columns]
        for op in opNames {
            rows.append(
                [op]
                    + levels.map { entry in
                        guard let ticks = entry.ops[op] else { return "-" }
                        guard entry.level != .linux, let ratio = ratio(op, entry) else { return "\(ticks)" }
                        return "\(ticks) (\(String(format: "%.2f", ratio))x)"
                    })
        }
        rows.append(["image"] + levels.map { String(format: "%.2f MiB", Double($0.imageBytes) / 1_048_576) })
        rows.append(["sites rewritten"] + levels.map { $0.level == .linux ? "-" : "\($0.sitesRewritten)" })
        // Where the sites came from: the program, the runtime, musl's C, musl's assembly (as C).
        rows.append(
            ["  app/rt/libc/asm"]
                + levels.map { entry in
                    entry.level == .linux
                        ? "-"
                        : ["app", "runtime", "libc", "libc-asm"]
                            .map { String(entry.sitesByOrigin[$0, default: 0]) }.joined(separator: "/")
                })
        rows.append(["calls inlined"] + levels.map { $0.level == .linux ? "-" : "\($0.inlined)" })
        rows.append(["build s"] + levels.map { String(format: "%.1f", $0.buildSeconds) })
        rows.append(["emulator wall s"] + levels.map { String(format: "%.1f", $0.emulatorSeconds) })
        var lines = ["\(app): icount ticks per op (guest instructions; ratio to linux), same kernel, one run each"]
        let kinds = Self.metricKinds.filter { kind in opNames.contains { $0.hasSuffix(kind.suffix) } }
        if !kinds.isEmpty {
            lines = [
                "\(app): figures in guest time (icount: 1 ns = 1 instruction; ratio to linux), same kernel, one run each"
            ]
        }
        lines += table(rows, right: Set(1..<rows[0].count))
        for kind in kinds {
            lines.append(
                "  *\(kind.suffix): \(kind.meaning) (\(kind.higherIsBetter ? "higher" : "lower") is better)")
        }
        lines.append("  emulator wall s is host time spent in QEMU TCG, not guest time")
        lines += profileLines
        lines += transitionLines
        for entry in failures {
            lines.append(
                "\(entry.label): "
                    + (entry.failure ?? "the application exited with status \(entry.status.map(String.init) ?? "?")"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Per marked op and level, what the instruction count weighs as one
    /// instruction each: the privileged and mode-switching instructions.
    var transitionLines: [String] {
        let ops = opNames.filter { op in levels.contains { $0.transitions[op] != nil } }
        guard !ops.isEmpty else { return [] }
        var lines = [
            "privileged and mode-switching instructions per op (its most common repetition; exact counts by a QEMU plugin)"
        ]
        let width = levels.map(\.label.count).max() ?? 0
        for op in ops {
            lines.append("  \(op)")
            for entry in levels {
                guard let counts = entry.transitions[op] else { continue }
                let name = entry.label.padding(toLength: width, withPad: " ", startingAt: 0)
                lines.append("    \(name)  \(Transitions.summary(counts))")
            }
        }
        return lines
    }

    /// With PGO rows: each op's figure with the profile over the figure
    /// without, per level, then the instrumented image's overhead and
    /// how the profile matched.
    var profileLines: [String] {
        let pairs = levels.filter(\.pgo).compactMap { pgo in
            levels.first { !$0.pgo && $0.level == pgo.level }.map { (plain: $0, pgo: pgo) }
        }
        guard !pairs.isEmpty else { return [] }
        var rows = [["with a profile / without"] + pairs.map(\.pgo.label)]
        func ratio(_ a: Int?, _ b: Int?) -> String {
            guard let a, let b, b > 0 else { return "-" }
            return String(format: "%.2fx", Double(a) / Double(b))
        }
        for op in opNames {
            rows.append([op] + pairs.map { ratio($0.pgo.ops[op], $0.plain.ops[op]) })
        }
        if pairs.contains(where: { $0.pgo.instrumentedOps != nil }) {
            for op in opNames {
                rows.append(["instrumented " + op] + pairs.map { ratio($0.pgo.instrumentedOps?[op], $0.plain.ops[op]) })
            }
        }
        rows.append(
            ["profile records matched"]
                + pairs.map { pair in
                    pair.pgo.profileUse.map { "\($0.matched ?? 0)/\($0.functions)" } ?? "-"
                })
        rows.append(["indirect calls promoted"] + pairs.map { "\($0.pgo.profileUse?.promoted?.count ?? 0)" })
        var lines = ["profile-guided rebuilds: each figure with the profile over the same level's without"]
        lines += table(rows, right: Set(1..<rows[0].count))
        // The calls the compiler turned direct, where the hand-written shortcuts go.
        func name(_ call: PGOReport.Promotion) -> String { "\(call.caller) -> \(call.callee)" }
        let promoted = pairs.map { $0.pgo.profileUse?.promoted ?? [] }
        let common = promoted.map { Set($0.map(name)) }.reduce(Set(promoted.first?.map(name) ?? [])) {
            $0.intersection($1)
        }
        let shared = (promoted.first ?? []).filter { common.contains(name($0)) }
        if !shared.isEmpty {
            lines.append(
                "  indirect calls promoted\(pairs.count > 1 ? " at every level" : "") "
                    + "(caller -> target, training calls), most frequent first")
            for call in shared.prefix(8) {
                lines.append(
                    "    \(name(call))  \(call.count)/\(call.total)"
                        + (call.inApplication ? "  (application code)" : ""))
            }
            if shared.count > 8 { lines.append("    ... and \(shared.count - 8) more (compare --json has them all)") }
        }
        let everywhere = Set(promoted.flatMap { $0.map(name) })
        for (pair, calls) in zip(pairs, promoted) where pairs.count > 1 {
            let here = Set(calls.map(name))
            let only = calls.map(name).filter { !common.contains($0) }
            let not = everywhere.subtracting(here).sorted()
            if !only.isEmpty { lines.append("  \(pair.pgo.label) also: \(only.prefix(6).joined(separator: ", "))") }
            if !not.isEmpty { lines.append("  \(pair.pgo.label) not: \(not.prefix(6).joined(separator: ", "))") }
        }
        let sources = Set(pairs.compactMap(\.pgo.profile).map { ($0 as NSString).deletingLastPathComponent })
        lines.append("  profiles from \(sources.sorted().joined(separator: ", "))")
        return lines
    }

    /// Grouped bars, one group per op and one bar per level, as high as the
    /// level's ticks over linux's, labelled with the ticks.
    public var svg: String {
        let ops = opNames
        let shown = levels.filter { !$0.ops.isEmpty }
        let palette = [
            "#4c566a", "#5e81ac", "#88c0d0", "#a3be8c", "#d08770", "#b48ead", "#ebcb8b", "#8fbcbb", "#81a1c1",
            "#c0a080",
        ]
        let bar = 22.0
        let gap = 26.0
        let left = 64.0
        let top = 76.0
        let plotHeight = 300.0
        let groupWidth = Double(shown.count) * bar + gap
        let width = left + Double(max(ops.count, 1)) * groupWidth + 24
        let height = top + plotHeight + 90
        // Every bar is a cost relative to linux: a rate's ratio is inverted
        // (linux's rate over the level's is its time per request over linux's).
        func cost(_ op: String, _ entry: Entry) -> Double? {
            guard let value = ratio(op, entry), value > 0 else { return nil }
            return Self.kind(of: op)?.higherIsBetter == true ? 1 / value : value
        }
        let highest = ops.flatMap { op in shown.compactMap { cost(op, $0) } }.max() ?? 1
        let scale = max(1.0, (highest * 4).rounded(.up) / 4)
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / scale) }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        var out = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(f(width))" height="\##(f(height))" font-family="sans-serif" font-size="11">"##,
            ##"<rect width="100%" height="100%" fill="white"/>"##,
            ##"<text x="\##(f(left))" y="22" font-size="15" font-weight="bold">\##(escape(app)): cost per op relative to linux (guest time under icount, lower is better)</text>"##,
        ]
        var tick = 0.0
        while tick <= scale + 1e-9 {
            out.append(
                ##"<line x1="\##(f(left))" x2="\##(f(width - 16))" y1="\##(f(y(tick)))" y2="\##(f(y(tick)))" stroke="\##(tick == 1 ? "#bf616a" : "#e5e9f0")" stroke-width="\##(tick == 1 ? 1.5 : 1)"/>"##
            )
            out.append(
                ##"<text x="\##(f(left - 8))" y="\##(f(y(tick) + 4))" text-anchor="end">\##(String(format: "%.2f", tick))x</text>"##
            )
            tick += 0.25
        }
        out.append(
            ##"<text transform="translate(16 \##(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">cost / linux cost</text>"##
        )
        for (group, op) in ops.enumerated() {
            let x0 = left + gap / 2 + Double(group) * groupWidth
            for (index, entry) in shown.enumerated() {
                guard let value = cost(op, entry), let ticks = entry.ops[op] else { continue }
                let x = x0 + Double(index) * bar
                let color = palette[(levels.firstIndex { $0.label == entry.label } ?? index) % palette.count]
                out.append(
                    ##"<rect x="\##(f(x))" y="\##(f(y(value)))" width="\##(f(bar - 3))" height="\##(f(y(0) - y(value)))" fill="\##(color)"><title>\##(entry.label) \##(op): \##(ticks) ticks (\##(String(format: "%.2f", value))x)</title></rect>"##
                )
                out.append(
                    ##"<text transform="translate(\##(f(x + bar / 2 + 1)) \##(f(y(value) - 4))) rotate(-90)" font-size="9">\##(ticks)</text>"##
                )
            }
            let label = Self.kind(of: op)?.higherIsBetter == true ? "1/" + op : op
            out.append(
                ##"<text x="\##(f(x0 + Double(shown.count) * bar / 2))" y="\##(f(top + plotHeight + 18))" text-anchor="middle" font-size="12">\##(escape(label))</text>"##
            )
        }
        for (index, entry) in shown.enumerated() {
            let x = left + Double(index) * 96
            let color = palette[(levels.firstIndex { $0.label == entry.label } ?? index) % palette.count]
            out.append(##"<rect x="\##(f(x))" y="\##(f(height - 40))" width="12" height="12" fill="\##(color)"/>"##)
            out.append(
                ##"<text x="\##(f(x + 17))" y="\##(f(height - 30))" font-size="12">\##(entry.label)</text>"##)
        }
        out.append(
            ##"<text x="\##(f(left))" y="\##(f(height - 10))" fill="#4c566a">bar labels: each op's figure; 1/NAME.rps: linux's rate over the level's; red line: linux (1.00x)</text>"##
        )
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }

    /// Fails unless `path` names a picture writePlot can draw (.svg or .png).
    public static func checkPlotPath(_ path: String) throws {
        guard path.hasSuffix(".svg") || path.hasSuffix(".png") else {
            throw UKLError.input(file: path, reason: "the plot must be a .svg or .png file")
        }
    }

    /// Writes the picture: SVG as is, PNG through rsvg-convert (librsvg2-bin).
    public func writePlot(to path: String) throws {
        try Self.checkPlotPath(path)
        let svgData = Data(svg.utf8)
        if path.hasSuffix(".svg") {
            try writeOutput(svgData, to: path)
        } else {
            let work = try Scratch.directory("plot")
            defer { try? FileManager.default.removeItem(at: work) }
            let source = work.appendingPathComponent("plot.svg")
            try svgData.write(to: source)
            try writeAtomically(to: path) { temporary in
                do {
                    try Shell.run(
                        "rsvg-convert", ["--format", "png", "--zoom", "2", "--output", temporary, source.path])
                } catch {
                    throw UKLError.input(
                        file: path,
                        reason: "cannot draw the PNG: rsvg-convert failed or is missing (apt-get install librsvg2-bin)")
                }
            }
        }
    }
}
