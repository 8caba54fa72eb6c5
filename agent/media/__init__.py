"""The media service: voicemail and IVR calls answered by pjsua2 workers."""
