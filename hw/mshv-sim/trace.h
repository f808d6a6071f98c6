#include "trace/trace-hw_mshv_sim.h"
