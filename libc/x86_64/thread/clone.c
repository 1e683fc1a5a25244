/* musl's src/thread/x86_64/clone.s as C (musl's generic clone.c returns
 * ENOSYS): __clone(func, stack, flags, arg, ptid, tls, ctid) starts func(arg)
 * on stack in the new task and exits with its result there. Both syscalls
 * keep the register frame (clone and exit are full-entry calls). */
#include <features.h>

__attribute__((naked)) hidden int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	__asm__("xor %eax, %eax\n"
		"mov $56, %al\n"
		"mov %rdi, %r11\n"
		"mov %rdx, %rdi\n"
		"mov %r8, %rdx\n"
		"mov %r9, %r8\n"
		"mov 8(%rsp), %r10\n"
		"mov %r11, %r9\n"
		"and $-16, %rsi\n"
		"sub $8, %rsi\n"
		"mov %rcx, (%rsi)\n"
		"syscall\n"
		"test %eax, %eax\n"
		"jnz 1f\n"
		"xor %ebp, %ebp\n"
		"pop %rdi\n"
		"call *%r9\n"
		"mov %eax, %edi\n"
		"xor %eax, %eax\n"
		"mov $60, %al\n"
		"syscall\n"
		"hlt\n"
		"1:\n"
		"ret\n");
}
