# Every package of this tree; each one's .mk only acts when it is selected.
include $(sort $(wildcard $(BR2_EXTERNAL_EDGEPBX_PATH)/package/*/*.mk))
