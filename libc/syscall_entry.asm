; The SYSCALL entry point. The application runs in ring 0 in the kernel's
; address space (docs/libc.md), and executes `syscall` as on Linux:
;   rax = number, rdi rsi rdx r10 r8 r9 = arguments, rax = result;
;   rcx and r11 are clobbered, every other register is preserved.
; SYSCALL from ring 0 loads CS/SS from STAR and leaves RSP alone, so the
; first thing is to leave the application's stack WITHOUT pushing on it (it
; keeps live data in the 128-byte red zone below rsp). SYSRET always returns
; to ring 3, so the way back is an iretq frame built on the kernel's syscall
; stack: it restores RIP, RFLAGS and RSP in one instruction.
; FMASK cleared IF on entry; interrupts are enabled again once on our stack
; (every interrupt runs on an IST stack anyway).

bits 64
default rel

extern syscall_dispatch
global syscall_entry
global app_enter

section .text
syscall_entry:
	mov [syscall_user_rsp], rsp
	lea rsp, [syscall_stack_top]
	push qword 0x10                 ; ss
	push qword [syscall_user_rsp]   ; rsp
	push r11                        ; rflags as the application had them
	push qword 0x08                 ; cs
	push rcx                        ; rip after the syscall instruction
	push rdi
	push rsi
	push rdx
	push r10
	push r8
	push r9
	push rax                        ; struct syscall_frame starts here
	mov rdi, rsp
	cld
	sti
	call syscall_dispatch           ; rax = result
	cli
	add rsp, 8                      ; the number
	pop r9
	pop r8
	pop r10
	pop rdx
	pop rsi
	pop rdi
	mov rcx, [rsp]                  ; as SYSRET would leave them
	mov r11, [rsp + 16]
	iretq

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
