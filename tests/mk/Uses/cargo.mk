# Stand-in for Mk/Uses/cargo.mk (freebsd-ports main), as far as the pycache
# port uses it: Makefile.crates read from the port's directory, CARGO_CRATES
# as distfiles (rust/crates/NAME-VERSION.crate, as `make makesum` writes
# them), the output directory, and the build target's triple
# (x86_64-unknown-freebsd on amd64).  Nothing is fetched or built.
.if !defined(_INCLUDE_USES_CARGO_MK)
_INCLUDE_USES_CARGO_MK=	yes

.sinclude "${MASTERDIR}/Makefile.crates"
CARGO_CRATES?=
CARGO_DIST_SUBDIR?=	rust/crates
CARGO_CRATE_EXT=	.crate
.  for _crate in ${CARGO_CRATES}
DISTFILES+=	${CARGO_DIST_SUBDIR}/${_crate}${CARGO_CRATE_EXT}
.  endfor

CARGO_FEATURES?=
CARGO_TARGET_DIR?=	${WRKDIR}/target
_CARGO_RUST_ARCH_amd64=		x86_64
_CARGO_RUST_ARCH_i386=		i686
_CARGO_RUST_ARCH_riscv64=	riscv64gc
CARGO_BUILD_TARGET?=	${_CARGO_RUST_ARCH_${ARCH}:U${ARCH}}-unknown-${OPSYS:tl}
.endif
