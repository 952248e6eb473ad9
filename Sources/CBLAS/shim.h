// OpenBLAS's CBLAS interface (Debian's libopenblas-dev), plus its thread control.
#include <cblas.h>
