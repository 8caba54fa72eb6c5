"""Call recording: rtpengine's capture of a call made into one audio file."""
