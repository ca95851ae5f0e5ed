"""The national default rules, written as ordinary plugins.

Every module of this package is registered as a plugin named ``cgov.defaults.<module>``; all
their implementations are ``trylast=True``, so a county plugin's answer wins.
"""
