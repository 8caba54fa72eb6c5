"""The media relay: rtpengine, its command line and its control protocol."""
