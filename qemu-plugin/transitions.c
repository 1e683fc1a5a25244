// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * transitions.c — a QEMU TCG plugin that counts, exactly, how often the guest
 * executes each instruction that switches privilege or serializes: the
 * instructions an instruction count weighs as one though they cost tens to
 * hundreds of cycles on hardware.
 *
 * Classes are recognized by their bytes when QEMU translates a block, and
 * each counted instruction gets an inline counter increment, so counting
 * adds no callback to the guest's path and changes nothing it executes.
 * "delivered" counts executions of the kernel's interrupt and exception
 * entry points (their addresses come from System.map): each is one event
 * delivered through the IDT.
 *
 * Windows: the workload marks an operation with a NOP the plugin knows,
 * `nopl 0x554b4cKK(%rax,%rax,1)` (bytes 0f 1f 84 00 KK 4c 4b 55: "UKL" and
 * K). K = 1..255 opens a window for operation K, K = 0 closes it. Per
 * operation the plugin keeps the count vector of each window and reports the
 * most common one (an interrupt that lands in one repetition does not count).
 *
 * Arguments: out=FILE (the report), entries=FILE (hex addresses, one per
 * line). Report lines:
 *   total CLASS=N ...                       over the whole run
 *   op K windows N mode M CLASS=N ...      the most common window of op K,
 *                                           seen M times out of N
 * Every class appears on every line, in the order of `classes` below.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum class {
	SYSCALL, SYSRET, SYSENTER, SYSEXIT, SWAPGS, IRET, INT, DELIVERED,
	MOV_CR3, MOV_CR, WRMSR, RDMSR, LFENCE, MFENCE, VERW, CLI, STI, POPF,
	STAC, CLAC, NCLASSES, NONE = NCLASSES, MARK
};

static const char *const classes[NCLASSES] = {
	"syscall", "sysret", "sysenter", "sysexit", "swapgs", "iret", "int",
	"delivered", "mov_cr3", "mov_cr", "wrmsr", "rdmsr", "lfence", "mfence",
	"verw", "cli", "sti", "popf", "stac", "clac",
};

/* One vCPU under -icount: TCG runs it in one thread, so plain counters do. */
static uint64_t counts[NCLASSES];

#define MAX_OPS 256
#define VECTORS 8
struct op {
	uint64_t windows;
	unsigned distinct;
	uint64_t vector[VECTORS][NCLASSES];
	uint64_t seen[VECTORS];
	uint64_t other; /* windows whose vector did not fit */
};
static struct op ops[MAX_OPS];
static unsigned open_op;
static uint64_t opened_at[NCLASSES];

static uint64_t *entries;
static size_t nentries;
static char *out_path;

/* The class of an x86-64 instruction, from its bytes. */
static enum class classify(const uint8_t *b, size_t n)
{
	size_t i = 0;
	int mandatory = 0, rex = 0;

	if (n == 8 && b[0] == 0x0f && b[1] == 0x1f && b[2] == 0x84 && b[3] == 0x00 &&
	    b[5] == 0x4c && b[6] == 0x4b && b[7] == 0x55)
		return MARK;
	for (; i < n; i++) {
		uint8_t p = b[i];

		if (p == 0x66 || p == 0xf2 || p == 0xf3)
			mandatory = 1;
		else if (!(p == 0xf0 || p == 0x2e || p == 0x36 || p == 0x3e ||
			   p == 0x26 || p == 0x64 || p == 0x65 || p == 0x67))
			break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return NONE;
	switch (b[i]) {
	case 0xcf: return IRET;
	case 0xcc: case 0xcd: case 0xce: case 0xf1: return INT;
	case 0xfa: return CLI;
	case 0xfb: return STI;
	case 0x9d: return POPF;
	case 0x0f: break;
	default: return NONE;
	}
	/* Two-byte opcodes; with a 66/f2/f3 prefix these bytes are other instructions. */
	if (mandatory || ++i >= n)
		return NONE;
	switch (b[i]) {
	case 0x05: return SYSCALL;
	case 0x07: return SYSRET;
	case 0x34: return SYSENTER;
	case 0x35: return SYSEXIT;
	case 0x30: return WRMSR;
	case 0x32: return RDMSR;
	case 0x22: /* mov %reg, %crN: N in modrm.reg, extended by REX.R */
		if (i + 1 >= n)
			return NONE;
		return ((b[i + 1] >> 3) & 7) == 3 && !(rex & 4) ? MOV_CR3 : MOV_CR;
	case 0x00: /* verw: 0f 00 /5 */
		return i + 1 < n && ((b[i + 1] >> 3) & 7) == 5 ? VERW : NONE;
	case 0x01:
		if (i + 1 >= n)
			return NONE;
		switch (b[i + 1]) {
		case 0xf8: return SWAPGS;
		case 0xca: return CLAC;
		case 0xcb: return STAC;
		}
		return NONE;
	case 0xae:
		if (i + 1 >= n)
			return NONE;
		return b[i + 1] == 0xe8 ? LFENCE : b[i + 1] == 0xf0 ? MFENCE : NONE;
	}
	return NONE;
}

static int is_entry(uint64_t vaddr)
{
	size_t lo = 0, hi = nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (entries[mid] == vaddr)
			return 1;
		if (entries[mid] < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void close_window(void)
{
	struct op *op = &ops[open_op];
	uint64_t window[NCLASSES];
	unsigned v;

	for (int c = 0; c < NCLASSES; c++)
		window[c] = counts[c] - opened_at[c];
	op->windows++;
	for (v = 0; v < op->distinct; v++) {
		if (!memcmp(op->vector[v], window, sizeof(window))) {
			op->seen[v]++;
			return;
		}
	}
	if (op->distinct == VECTORS) {
		op->other++;
		return;
	}
	memcpy(op->vector[op->distinct], window, sizeof(window));
	op->seen[op->distinct++] = 1;
}

/* Runs before the marker executes: what follows it belongs to op K. */
static void mark(unsigned int vcpu, void *udata)
{
	unsigned k = (unsigned)(uintptr_t)udata;

	(void)vcpu;
	if (open_op)
		close_window();
	open_op = k;
	if (k)
		memcpy(opened_at, counts, sizeof(counts));
}

static void translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *bytes = qemu_plugin_insn_data(insn);
		enum class c = classify(bytes, qemu_plugin_insn_size(insn));

		if (c == MARK)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)bytes[4]);
		else if (c != NONE)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counts[c], 1);
		if (nentries && is_entry(qemu_plugin_insn_vaddr(insn)))
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counts[DELIVERED], 1);
	}
}

static void print_vector(FILE *f, const uint64_t *vector)
{
	for (int c = 0; c < NCLASSES; c++)
		fprintf(f, " %s=%" PRIu64, classes[c], vector[c]);
	fputc('\n', f);
}

static void report(qemu_plugin_id_t id, void *udata)
{
	FILE *f = fopen(out_path, "w");

	(void)id;
	(void)udata;
	if (!f)
		return;
	fprintf(f, "total");
	print_vector(f, counts);
	for (unsigned k = 1; k < MAX_OPS; k++) {
		struct op *op = &ops[k];
		unsigned best = 0;

		if (!op->windows)
			continue;
		for (unsigned v = 1; v < op->distinct; v++)
			if (op->seen[v] > op->seen[best])
				best = v;
		fprintf(f, "op %u windows %" PRIu64 " mode %" PRIu64, k, op->windows, op->seen[best]);
		print_vector(f, op->vector[best]);
	}
	fclose(f);
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int read_entries(const char *path)
{
	FILE *f = fopen(path, "r");
	uint64_t address;
	size_t capacity = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%" SCNx64, &address) == 1) {
		if (nentries == capacity) {
			capacity = capacity ? 2 * capacity : 256;
			entries = realloc(entries, capacity * sizeof(*entries));
			if (!entries)
				return -1;
		}
		entries[nentries++] = address;
	}
	fclose(f);
	qsort(entries, nentries, sizeof(*entries), compare);
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "transitions: x86_64 guests only, not %s\n", info->target_name);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = argv[i] + 4;
		} else if (!strncmp(argv[i], "entries=", 8)) {
			if (read_entries(argv[i] + 8)) {
				fprintf(stderr, "transitions: cannot read %s\n", argv[i] + 8);
				return -1;
			}
		} else {
			fprintf(stderr, "transitions: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!out_path) {
		fprintf(stderr, "transitions: out=FILE is required\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, translate);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
