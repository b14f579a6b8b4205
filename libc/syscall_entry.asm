; The SYSCALL entry point. The application runs in ring 0 in the kernel's
; address space (docs/libc.md), and executes `syscall` as on Linux:
;   rax = number, rdi rsi rdx r10 r8 r9 = arguments, rax = result;
;   rcx and r11 are clobbered, every other register is preserved.
; SYSCALL from ring 0 loads CS/SS from STAR and leaves RSP alone, so the
; first thing is to leave the application's stack WITHOUT pushing on it (it
; keeps live data in the 128-byte red zone below rsp). The arguments are
; pushed so that they lie in order in memory: the frame is the argument
; array a system call's implementation takes (struct syscall_frame).
; FMASK leaves IF alone: interrupts stay as the program had them (on), which
; is safe even before the stack switch because every interrupt and exception
; runs on an IST stack.
;
; SYSRET always returns to ring 3, and iretq (which reloads CS and SS from
; the GDT) is slow under emulation, so the way back restores RFLAGS with
; popfq on our stack, then RSP, and jumps to RIP: rcx = RIP and r11 = RFLAGS
; as SYSRET would leave them.
;
; The number indexes syscall_table directly; unknown numbers and
; trace=syscall go through syscall_dispatch (libc/start.c).

bits 64
default rel

%define NR_SYSCALLS 512         ; libc/start.c

extern syscall_dispatch
extern syscall_table
extern syscall_trace
global syscall_entry
global app_enter

section .text
syscall_entry:
	mov [syscall_user_rsp], rsp
	lea rsp, [syscall_stack_top]
	push qword [syscall_user_rsp]   ; rsp
	push r11                        ; rflags as the application had them
	push rcx                        ; rip after the syscall instruction
	push rax                        ; the number
	push r9
	push r8
	push r10
	push rdx
	push rsi
	push rdi                        ; struct syscall_frame starts here
	mov rdi, rsp
	cld
	cmp rax, NR_SYSCALLS
	jae .dispatch
	cmp byte [syscall_trace], 0
	jne .dispatch
	mov rax, [abs syscall_table + rax * 8]
	test rax, rax
	jz .dispatch
	call rax                        ; rax = impl(args)
.out:
	pop rdi
	pop rsi
	pop rdx
	pop r10
	pop r8
	pop r9
	add rsp, 8                      ; the number
	pop rcx                         ; rip
	pop r11                         ; rflags
	push r11
	popfq
	mov rsp, [rsp]                  ; the application's rsp
	jmp rcx
.dispatch:
	call syscall_dispatch           ; rdi = the frame; rax = result
	jmp .out

; app_enter(entry, sp): start the application at entry with rsp = sp (which
; points at argc), every other register zero as the ELF ABI expects (rdx 0:
; no function for atexit). Never returns.
app_enter:
	mov rsp, rsi
	mov rax, rdi
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	xor esi, esi
	xor edi, edi
	xor ebp, ebp
	xor r8d, r8d
	xor r9d, r9d
	xor r10d, r10d
	xor r11d, r11d
	xor r12d, r12d
	xor r13d, r13d
	xor r14d, r14d
	xor r15d, r15d
	jmp rax

section .bss
alignb 16
syscall_user_rsp: resq 1
alignb 16
syscall_stack: resb 65536
syscall_stack_top:
