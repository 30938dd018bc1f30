"""The Streamlit front end: sidebar, tabs and cached traces. Only this package and ``app.py``
import streamlit; every tab calls the library (trace, views, render) and arranges widgets."""
