"""Programming FPGA regions: DFL partial reconfiguration, Xilinx XRT through its tools."""
