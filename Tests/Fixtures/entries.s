# Kernel entries from user mode, and bytes that only look like them.
	.text
	.globl	uses_syscall
	.type	uses_syscall, @function
uses_syscall:
	mov	$39, %eax
	syscall
	ret
	.size	uses_syscall, .-uses_syscall

	.globl	uses_int80
	.type	uses_int80, @function
uses_int80:
	int	$0x80
	ret
	.size	uses_int80, .-uses_int80

	.globl	uses_sysenter
	.type	uses_sysenter, @function
uses_sysenter:
	nop
	sysenter
	.size	uses_sysenter, .-uses_sysenter

	# 0f 05 inside an immediate, int3 and int $0x81: none of them enters the kernel.
	.globl	innocent
	.type	innocent, @function
innocent:
	mov	$0x050f050f, %eax
	int3
	int	$0x81
	ret
	.size	innocent, .-innocent
