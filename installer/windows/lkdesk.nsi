; NSIS installer for lkdesk on Windows: installs the PyInstaller bundle (dist\lkdesk),
; a Start-menu shortcut, the lkdesk:// URL handler and an uninstaller.
;   makensis -DVERSION=0.1.0 -DPAYLOAD=dist\lkdesk -DOUTFILE=dist\lkdesk-setup.exe lkdesk.nsi
; tests/packaging/test_installers.py compiles it here against a stub payload.
Unicode true
SetCompressor /SOLID lzma

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef PAYLOAD
  !error "define PAYLOAD: the folder PyInstaller built (dist\lkdesk)"
!endif
!ifndef OUTFILE
  !define OUTFILE "lkdesk-${VERSION}-setup.exe"
!endif

!include "MUI2.nsh"

Name "lkdesk ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\lkdesk"
InstallDirRegKey HKCU "Software\lkdesk" "InstallDir"
RequestExecutionLevel user

!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\lkdesk.exe"
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\lkdesk"

Section "lkdesk" SecMain
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteRegStr HKCU "Software\lkdesk" "InstallDir" "$INSTDIR"
  ; lkdesk://join?... links open lkdesk ready to join
  WriteRegStr HKCU "Software\Classes\lkdesk" "" "URL:lkdesk meeting link"
  WriteRegStr HKCU "Software\Classes\lkdesk" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\lkdesk\DefaultIcon" "" "$INSTDIR\lkdesk.exe,0"
  WriteRegStr HKCU "Software\Classes\lkdesk\shell\open\command" "" '"$INSTDIR\lkdesk.exe" "%1"'
  CreateDirectory "$SMPROGRAMS\lkdesk"
  CreateShortCut "$SMPROGRAMS\lkdesk\lkdesk.lnk" "$INSTDIR\lkdesk.exe"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "lkdesk"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "lkdesk"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\lkdesk.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\lkdesk\lkdesk.lnk"
  RMDir "$SMPROGRAMS\lkdesk"
  DeleteRegKey HKCU "Software\Classes\lkdesk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\lkdesk"
  RMDir /r "$INSTDIR"
SectionEnd
