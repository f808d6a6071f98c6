#include "trace/trace-target_i386_mshv.h"
