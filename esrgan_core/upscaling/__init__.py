"""upscaling"""
