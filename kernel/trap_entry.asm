; Interrupt and exception entry stubs, one per vector. Each pushes a zero
; error code where the CPU does not, then the vector number, then jumps to
; trap_common, which completes a struct trapframe (kernel/trap.h) and calls
; trap_dispatch(frame). Every vector runs on an IST stack (see kernel/trap.h).

bits 64
section .text
extern trap_dispatch
global trap_vectors

; Vectors whose exceptions push an error code (SDM vol. 3, table 6-1).
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
trap_stub_%+v:
%if !HAS_ERR(v)
	push 0
%endif
	push v
	jmp trap_common
%assign v v+1
%endrep

trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	; The CPU aligned the IST stack to 16 before its 5 pushes; with the 2 + 15
	; pushes above the frame is 176 bytes, so rsp is 16-aligned here.
	call trap_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16                     ; vector and error code
	iretq

section .rodata
align 8
trap_vectors:
%assign v 0
%rep 256
	dq trap_stub_%+v
%assign v v+1
%endrep
